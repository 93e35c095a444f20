"""POST /api/v1/estimate: the same request fields and JSON result as `healthaid estimate --json`."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from settlement.errors import InputError
from settlement.estimate import EstimateRequest, estimate, to_json

router = APIRouter(prefix="/api/v1", tags=["estimate"])

EXAMPLES: dict[str, Any] = {
    "guyang_inpatient": {
        "summary": "固阳县建档立卡贫困户，县医院住院2万元",
        "value": {"region": "guyang", "setting": "inpatient", "level": "county", "total": "20000"},
    },
    "nantong_outpatient": {
        "summary": "南通市低保对象，乡镇卫生院门诊500元",
        "value": {
            "region": "nantong",
            "setting": "outpatient",
            "level": "township",
            "total": "500",
            "category": "dibao",
        },
    },
}


def field_errors(field: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": [{"field": field, "msg": message}]}, status_code=422)


@router.post(
    "/estimate",
    summary="估算一次就医的个人自付金额（一站式结算）",
    responses={422: {"description": "输入有误：每个字段一条说明"}},
)
def estimate_endpoint(
    request: Annotated[EstimateRequest, Body(openapi_examples=EXAMPLES)],
) -> Any:
    """Runs the settlement chain layer by layer. Amounts in the answer are strings with two
    decimals (元); every layer names its source document and clause."""
    try:
        return to_json(estimate(request))
    except InputError as error:
        return field_errors(error.field, error.message)
