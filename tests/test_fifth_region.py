"""A fifth region made only of data (tests/fixtures/fifth_region, docs/adding-a-region.md).

The fixture files are copied beside the repository's policies/ in a temporary directory, and
every check runs in a fresh process with $HEALTHAID_POLICIES pointing there: the loader and
`healthaid policies check` with its cases, an estimate through the chain and its reply, every
topic answer, the estimate form's slots, a verified resident's benefits, the reader, the
region question's buttons, the registry (no migration) — with no Python written for it.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from settlement.regions import POLICIES_ENV

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "fifth_region"


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("fifth") / "policies"
    shutil.copytree(ROOT / "policies", target)
    for part in ("rules", "documents", "answers", "tables", "words", "cases"):
        for path in (FIXTURE / part).glob("*.yaml"):
            shutil.copy(path, target / part / path.name)
    return target


def _env(policies: Path) -> dict[str, str]:
    return {**os.environ, POLICIES_ENV: str(policies), "PYTHONPATH": str(ROOT)}


def _run(policies: Path, code: str) -> Any:
    """Run `code` in a fresh interpreter; it prints one JSON value, which is returned."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=_env(policies),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _policies_check(policies: Path) -> subprocess.CompletedProcess[str]:
    """`healthaid policies check` in a fresh process on `policies`."""
    return subprocess.run(
        [sys.executable, "-m", "healthaid", "policies", "check"],
        env=_env(policies),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_fixture_is_data_only() -> None:
    suffixes = {path.suffix for path in FIXTURE.rglob("*") if path.is_file()}
    assert suffixes == {".yaml", ".md"}


def test_the_loader_and_the_policies_check_take_the_new_region(policies: Path) -> None:
    found = _run(
        policies,
        """
        import json
        from settlement.identifiers import Region
        from settlement.policy import load_policies
        regions = [(r.value, r.display, r.short) for r in Region.all()]
        print(json.dumps([regions, sorted(load_policies().regions)]))
        """,
    )
    assert found[0][-1] == ["yangli", "样例县", "样例"]  # order: 5, after the four
    assert "yangli" in found[1]

    check = _policies_check(policies)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "policies: 5 regions loaded and valid" in check.stdout
    assert "0 failed" in check.stdout


def test_an_estimate_goes_through_the_chain_and_states_its_basis(policies: Path) -> None:
    reply, layers = _run(
        policies,
        """
        import json
        from datetime import date
        from actions.estimate_logic import estimate_reply
        from settlement.estimate import estimate, parse_request
        slots = {"region": "yangli", "setting": "inpatient", "level": "county",
                 "total": "20000.00", "category": "poor"}
        reply = estimate_reply(slots, None, date(2026, 11, 30))
        result = estimate(parse_request(dict(slots)), date(2026, 11, 30))
        print(json.dumps([reply.text, [[l.name, str(l.paid)] for l in result.layers]]))
        """,
    )
    assert reply.startswith("样例县住院总费用20000.00元，预计个人自付2000.00元。")
    assert "样例县兜底保障资金2240.00元" in reply  # the fund's local name, from the rules
    assert "按样例县2022年起施行的规定估算，现行标准可能已调整。" in reply
    assert ["样例县兜底保障资金", "2240.00"] in layers


def test_every_topic_is_answered_from_the_regions_files(policies: Path) -> None:
    answers = _run(
        policies,
        """
        import json
        from actions.answers import Topic
        from actions.topics import topic_reply
        from settlement.identifiers import Region
        region = Region("yangli")
        texts = {t.value: topic_reply(t, region, already_asked=False).text for t in Topic}
        texts["disease"] = topic_reply(
            Topic.CHRONIC_DISEASE, region, already_asked=False, disease="血糖高"
        ).text
        print(json.dumps(texts, ensure_ascii=False))
        """,
    )
    assert "2022年《样例县健康帮扶实施方案》一" in answers["coverage"]
    assert "慢性阻塞性肺疾病3000元" in answers["chronic_disease"]  # from the region's table
    assert answers["disease"].startswith("样例县3种特殊慢性病名单里有：糖尿病年度最高支付限额2400")
    assert "帮扶对象用药个人自付不超过10%" in answers["disease"]
    assert all(text for text in answers.values())


def test_the_form_asks_what_changes_the_result_for_the_new_region(policies: Path) -> None:
    asked = _run(
        policies,
        """
        import json
        from actions.estimate_logic import required_slots
        chronic = {"region": "yangli", "setting": "chronic", "total": "3000.00"}
        stay = {"region": "yangli", "setting": "inpatient", "total": "20000.00"}
        print(json.dumps([required_slots(chronic, False), required_slots(stay, False)]))
        """,
    )
    # The disease's cap changes a chronic estimate (高血压 1200, 糖尿病 2400); a stay costs
    # 10% at every level, so the level is not asked.
    assert "disease" in asked[0]
    assert asked[1] == ["region", "setting", "total"]


def test_a_verified_residents_benefits_come_from_the_regions_files(policies: Path) -> None:
    text = _run(
        policies,
        """
        import json
        from datetime import date
        from decimal import Decimal
        from actions.benefits import benefits_text
        from tests.actions.fakes import guyang_resident
        from settlement.identifiers import Region
        record = guyang_resident(region=Region("yangli"), diseases=("血压高",),
                                 chronic_paid={"高血压": Decimal("200")})
        print(json.dumps(benefits_text(record, date(2026, 11, 30)), ensure_ascii=False))
        """,
    )
    assert "地区：样例县" in text
    assert "高血压：年度限额1200.00元，今年已报200.00元，还剩1000.00元" in text
    assert "个人自付控制在10%以内（二（一）、二（二））" in text


def test_the_reader_the_buttons_and_the_registry_know_the_new_region(policies: Path) -> None:
    found = _run(
        policies,
        """
        import asyncio, json, tempfile
        from pathlib import Path
        from sqlalchemy.orm import Session
        from actions.estimate import ActionAskRegion
        from actions.fallback import only_our_regions
        from actions.sdk import CollectingDispatcher
        from registry.db import get_engine, upgrade
        from registry.models import Resident
        from settlement.identifiers import Region
        from tests.actions.helpers import message, tracker
        from tests.registry.factories import make_id_number
        from understanding.reader import read

        entities = [(e.entity, e.value) for e in read("我是样例县样例镇的 住院花了两万")]
        dispatcher = CollectingDispatcher()
        state = tracker(message("算一下", "estimate"), {})
        asyncio.run(ActionAskRegion().run(dispatcher, state, {}))
        titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'r.db'}"
        upgrade(url)
        engine = get_engine(url)
        with Session(engine) as session:
            session.add(Resident(id_number=make_id_number(), name="赵样例", region=Region("yangli"),
                                 category="poor", village="示范村", disability="none"))
            session.commit()
            stored = session.query(Resident).one().region
        print(json.dumps([entities, titles, only_our_regions("成都"), stored], ensure_ascii=False))
        """,
    )
    entities, titles, refusal, stored = found
    assert ["region", "yangli"] in entities
    assert titles[-1] == "样例"
    assert "固阳、盐城、样例的政策" in refusal
    assert stored == "yangli"


def _broken_copy(policies: Path, tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(policies, target)
    return target


@pytest.mark.parametrize(
    ("mistake", "said"),
    [
        ("missing_answers", "answers/yangli.yaml: <root>: missing: every region needs its answers"),
        ("shared_place", "“金山镇” is in both guyang.yaml and yangli.yaml"),
        ("misspelt_parameter", "did you mean 'poverty_fund.inpatient_target_rate'?"),
        ("missing_topic", "answers/yangli.yaml: topics: missing topics: charity"),
    ],
)
def test_the_policies_check_names_a_new_regions_mistakes(
    policies: Path, tmp_path: Path, mistake: str, said: str
) -> None:
    # The mistakes a policy officer trying docs/adding-a-region.md made first.
    broken = _broken_copy(policies, tmp_path)
    answers = broken / "answers" / "yangli.yaml"
    if mistake == "missing_answers":
        answers.unlink()
    elif mistake == "shared_place":
        words = broken / "words" / "yangli.yaml"
        words.write_text(words.read_text("utf-8").replace("示范乡", "金山镇"), "utf-8")
    elif mistake == "misspelt_parameter":
        rules = broken / "rules" / "yangli.yaml"
        text = rules.read_text("utf-8").replace("inpatient_target_rate:", "inpatient_target_rat:")
        rules.write_text(text, "utf-8")
    else:
        text = answers.read_text("utf-8")
        start = text.index("  charity:")
        answers.write_text(text[:start] + text[text.index("  rates:") :], "utf-8")

    check = _policies_check(broken)

    assert check.returncode != 0
    assert said in check.stdout + check.stderr
    assert "Traceback" not in check.stderr


def test_a_poverty_funds_yearly_cap_binds_its_top_up(policies: Path, tmp_path: Path) -> None:
    # 「最高3万元」 written as poverty_fund.annual_cap must limit a 90% top-up too.
    broken = _broken_copy(policies, tmp_path)
    rules = broken / "rules" / "yangli.yaml"
    cap = (
        "  poverty_fund.annual_cap:\n    description: 兜底资金每人每年最高1000元\n"
        "    unit: CNY\n    assumption: true\n    reason: 测试用\n"
        '    values:\n      "2022-03-01": 1000\nnotes:\n'
    )
    rules.write_text(rules.read_text("utf-8").replace("notes:\n", cap, 1), "utf-8")
    paid = _run(
        broken,
        """
        import json
        from datetime import date
        from settlement.estimate import estimate, parse_request
        request = parse_request({"region": "yangli", "setting": "inpatient", "level": "county",
                                 "total": "20000"})
        result = estimate(request, date(2024, 5, 1))
        print(json.dumps([[l.name, str(l.paid), l.explanation] for l in result.layers][-1]))
        """,
    )
    # Without the cap the fund tops up 2240.00 (the case in cases/yangli.yaml).
    assert paid[1] == "1000.00"
    assert "受每人每年1000.00元限额，本次1000.00元" in paid[2]
