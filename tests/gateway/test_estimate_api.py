"""POST /api/v1/estimate: the same JSON as `healthaid estimate --json`, 422 per bad field."""

import json
from typing import Any

import httpx
import pytest

from healthaid.cli import main

pytestmark = pytest.mark.anyio


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(["estimate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("body", "args"),
    [
        # 固阳县建档立卡贫困户，县医院住院2万元
        (
            {"region": "guyang", "setting": "inpatient", "level": "county", "total": "20000"},
            [
                "--region",
                "guyang",
                "--setting",
                "inpatient",
                "--level",
                "county",
                "--total",
                "20000",
            ],
        ),
        # 南通市低保对象，乡镇卫生院门诊500元，数字金额
        (
            {
                "region": "nantong",
                "setting": "outpatient",
                "level": "township",
                "total": 500,
                "category": "dibao",
            },
            [
                "--region",
                "nantong",
                "--setting",
                "outpatient",
                "--level",
                "township",
                "--total",
                "500",
                "--category",
                "dibao",
            ],
        ),
    ],
)
async def test_a_valid_body_gives_the_cli_json(
    client: httpx.AsyncClient,
    capsys: pytest.CaptureFixture[str],
    body: dict[str, Any],
    args: list[str],
) -> None:
    response = await client.post("/api/v1/estimate", json=body)

    assert response.status_code == 200
    assert response.json() == cli_json(capsys, *args)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"region": "beijing", "setting": "inpatient", "level": "county", "total": "1"},
            {"region"},
        ),
        ({"region": "guyang", "setting": "inpatient", "level": "county", "total": "-5"}, {"total"}),
        ({"region": "guyang", "setting": "inpatient", "level": "county"}, {"total"}),
        ({"region": "guyang", "setting": "x", "level": "y", "total": "1"}, {"setting", "level"}),
        (
            {
                "region": "guyang",
                "setting": "inpatient",
                "level": "county",
                "total": "1",
                "id_number": "x",
            },
            {"id_number"},
        ),
        (
            {"region": "guyang", "setting": "inpatient", "level": "county", "total": "abc"},
            {"total"},
        ),
    ],
)
async def test_bad_fields_get_a_422_naming_each(
    client: httpx.AsyncClient, body: dict[str, Any], fields: set[str]
) -> None:
    response = await client.post("/api/v1/estimate", json=body)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {entry["field"] for entry in detail} == fields
    assert all(entry["msg"] for entry in detail)


async def test_the_openapi_schema_documents_the_request_with_examples(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()

    operation = schema["paths"]["/api/v1/estimate"]["post"]
    content = operation["requestBody"]["content"]["application/json"]
    # One example per each of the first two regions of policies/, each a valid request.
    assert set(content["examples"]) == {"nantong_inpatient", "rongchang_outpatient"}
    for example in content["examples"].values():
        response = await client.post("/api/v1/estimate", json=example["value"])
        assert response.status_code == 200, example
    assert "422" in operation["responses"]
    assert "/sms/twilio" not in schema["paths"]  # provider webhooks are not a public API


async def test_an_impossible_request_gets_the_chains_chinese_message(
    client: httpx.AsyncClient,
) -> None:
    body = {
        "region": "guyang",
        "setting": "inpatient",
        "level": "county",
        "total": "100",
        "out_of_catalogue": "200",
    }

    response = await client.post("/api/v1/estimate", json=body)

    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"field": "out_of_catalogue", "msg": "目录外费用不能超过总费用"}]
    }
