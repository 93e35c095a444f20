"""`healthaid estimate`, `healthaid policies check` and `policies show`: output, JSON shape,
clear refusals."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from healthaid.cli import main

ROOT = Path(__file__).resolve().parent.parent
GUYANG = ["estimate", "--region", "guyang", "--setting", "inpatient", "--level", "county"]


def test_estimate_prints_the_personal_share_first(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*GUYANG, "--total", "20000", "--date", "2024-05-01"])

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("固阳县住院总费用20000.00元，预计个人自付1000.00元。")
    assert any("五（三）2" in line for line in out)


def test_estimate_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*GUYANG, "--total", "20000", "--date", "2024-05-01", "--json"])

    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(result) == {
        "region",
        "total",
        "personal_pay",
        "reimbursed",
        "layers",
        "notes",
        "date",
        "rule_dates",
    }
    # The rules in force on 2024-05-01 that the layers read: 2017's plan, 2021's 大病保险.
    assert result["date"] == "2024-05-01"
    assert result["rule_dates"] == ["2017-01-01", "2021-01-01"]
    assert (result["total"], result["personal_pay"], result["reimbursed"]) == (
        "20000.00",
        "1000.00",
        "19000.00",
    )
    assert [layer["fund"] for layer in result["layers"]] == [
        "basic_insurance",
        "critical_illness",
        "poverty_fund",
    ]
    fund = result["layers"][-1]
    assert fund["source"] == {"document": "固阳县贫困人口医疗救助实施方案", "clause": "五（三）5"}
    assert set(fund) == {"fund", "name", "paid", "explanation", "source", "assumption"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # an unknown region
        (
            ["--region", "beijing", "--total", "100"],
            "region: Value error, 'beijing' is not a region of policies/",
        ),
        # a negative amount
        (["--region", "guyang", "--total", "-5"], "total: Input should be greater than 0"),
        # out-of-catalogue cost above the total
        (
            ["--region", "guyang", "--total", "100", "--out-of-catalogue", "200"],
            "out_of_catalogue: 目录外费用不能超过总费用",
        ),
        # a disease not in 固阳's list of 45
        (
            ["--region", "guyang", "--total", "100", "--disease", "感冒"],
            "disease: 固阳县慢性病病种中没有“感冒”",
        ),
        # not a number at all
        (["--region", "guyang", "--total", "两万"], "不是有效金额：两万"),
        # a date that does not exist
        (["--region", "guyang", "--total", "100", "--date", "2024-02-30"], "date:"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["estimate", "--setting", "inpatient", "--level", "county", *args]

    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses before the handler runs
        code = int(exit_.code or 0)

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1
    assert message in err[0]


def test_policies_check_loads_everything_and_runs_the_cases(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["policies", "check"])

    out = capsys.readouterr().out
    assert code == 0
    assert "4 regions loaded and valid" in out
    assert " 0 failed" in out


def test_policies_show_lists_each_rule_with_value_dates_and_clause(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["policies", "show", "guyang", "--date", "2024-05-01"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("固阳县（guyang）2024-05-01施行的政策参数")
    # settlement order: 适用对象, then the funds, then what spans them
    headings = [line for line in out.splitlines() if line.startswith("【")]
    assert headings[:3] == ["【适用对象】", "【基本医疗保险】", "【大病保险】"]
    assert headings[-1] == "【综合规定】"
    assert "（basic_insurance.outpatient.poverty_rate）" in out
    assert "数值：村卫生室：80%；乡镇卫生院：80%；县级医院：80%" in out
    assert "施行：2017-01-01起" in out
    assert "《固阳县贫困人口医疗救助实施方案》（2017年）五（三）3" in out
    assert "由70%提高到80%" in out  # the clause's own words
    assert "基本医保住院起付线（按医院级别）「估算」（basic_insurance.inpatient.deductible）" in out
    assert "估算：未找到包头市2017年公布的分级起付线；参照内蒙古乌兰察布市" in out


def test_policies_show_json_lists_groups_with_parameters_and_provenance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["policies", "show", "yancheng", "--date", "2025-06-01", "--json"])

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (document["region"], document["name"], document["date"]) == (
        "yancheng",
        "盐城市",
        "2025-06-01",
    )
    groups = {group["key"]: group for group in document["groups"]}
    eligibility = groups["eligibility"]["parameters"][0]
    assert (eligibility["from"], eligibility["until"]) == ("2021-11-01", "2025-12-31")
    assert eligibility["reference"]["clause"] == "五（二）"  # where the categories are named
    rate = next(
        p
        for p in groups["medical_assistance"]["parameters"]
        if p["name"] == "medical_assistance.rate"
    )
    assert rate["value"] == {"dibao": "0.7", "tekun": "0.7"}
    assert "国办发〔2021〕42号" in rate["source"]["title"]
    cap = next(
        p
        for p in groups["basic_insurance"]["parameters"]
        if p["name"] == "basic_insurance.annual_cap"
    )
    assert (cap["estimated"], cap["unit"], cap["value"]) == (True, "CNY", "250000")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # a region without a rules file: the known ones are listed
        (["beijing"], "region: 没有地区“beijing”的政策；已有：guyang（固阳县）"),
        # a date that does not exist
        (["guyang", "--date", "2024-02-30"], "date: 不是有效日期：2024-02-30"),
        # not an ISO date
        (["guyang", "--date", "2024/5/1"], "date: 不是有效日期：2024/5/1"),
    ],
)
def test_policies_show_refuses_bad_input_with_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["policies", "show", *args])

    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert code == 2
    assert captured.out == ""
    assert len(err) == 1
    assert message in err[0]


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("healthaid")

    done = subprocess.run(
        [str(script), *GUYANG, "--total", "20000", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["personal_pay"] == "1000.00"


def test_policies_check_reports_every_broken_file_at_once(tmp_path: Path) -> None:
    # A policy editor broke two region files; both are named in one run, not one per run.
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    guyang = policies / "rules" / "guyang.yaml"
    guyang.write_text(guyang.read_text("utf-8").replace("short_name: 固阳\n", ""), encoding="utf-8")
    yancheng = policies / "rules" / "yancheng.yaml"
    yancheng.write_text(
        yancheng.read_text("utf-8").replace("region: yancheng", "region: yanchen"),
        encoding="utf-8",
    )

    done = subprocess.run(
        [sys.executable, "-m", "healthaid", "policies", "check"],
        env={**os.environ, "HEALTHAID_POLICIES": str(policies)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    errors = [line for line in done.stdout.splitlines() if line.startswith("ERROR ")]
    assert done.returncode == 1
    assert len(errors) == 2
    assert "guyang.yaml: short_name: a region needs a short name" in errors[0]
    assert "yancheng.yaml: region: must be 'yancheng'" in errors[1]
    assert "2 problem(s)" in done.stdout
