"""`healthaid estimate` and `healthaid policies check`: output, JSON shape, clear refusals."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from healthaid.cli import main

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
    assert set(result) == {"region", "total", "personal_pay", "reimbursed", "layers", "notes"}
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
