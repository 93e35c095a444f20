"""The source documents, the Guyang annex tables, and the loader's refusals.

The spot checks pin numbers a resident will be quoted; each was read off the seed PDF text
(/work/shared/seeds) by hand, so a transcription slip in policies/ fails here.
"""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from settlement.documents import (
    ChronicDiseaseTable,
    Document,
    RehabilitationTable,
    default_policies_dir,
    load_chronic_diseases,
    load_documents,
    load_rehabilitation,
)
from settlement.errors import PolicyError

POLICIES = default_policies_dir()
DOCUMENT_IDS = {"nantong_2017", "rongchang_2017", "national_2016", "guyang_2017", "yancheng_2021"}


@pytest.fixture(scope="module")
def documents() -> dict[str, Document]:
    return load_documents(POLICIES / "documents")


@pytest.fixture(scope="module")
def diseases() -> ChronicDiseaseTable:
    return load_chronic_diseases(POLICIES / "tables" / "guyang_chronic_diseases.yaml")


@pytest.fixture(scope="module")
def rehabilitation() -> RehabilitationTable:
    return load_rehabilitation(POLICIES / "tables" / "guyang_rehabilitation.yaml")


# ---------------------------------------------------------------- the real documents


def test_all_five_documents_load_with_at_least_five_clauses(
    documents: dict[str, Document],
) -> None:
    assert set(documents) == DOCUMENT_IDS
    for document in documents.values():
        assert len(document.clauses) >= 5, document.id


def test_clause_texts_are_repaired(documents: dict[str, Document]) -> None:
    # Joined lines and no stray spaces; the annexes list table rows, so spaces separate cells.
    for document in documents.values():
        for clause in document.clauses:
            if clause.id != "annex":
                assert not re.search(r"[^\S\n]", clause.text), (document.id, clause.number)
                assert "\n\n" not in clause.text, (document.id, clause.number)


@pytest.mark.parametrize(
    ("document", "number", "fragments"),
    [
        # Guyang: deductibles halved
        ("guyang_2017", "五（三）2", ["起付线均降低50%"]),
        # Guyang: the fund tops inpatient reimbursement up to 95%; 50万 combined yearly cap
        ("guyang_2017", "五（三）5", ["95%", "50万元", "实际报销比例达到95%"]),
        # Guyang: subsidies are in 五（四）2, not in the 三个一批 clause
        ("guyang_2017", "五（四）2", ["人工耳蜗植入手术及服务每例补贴88500元"]),
        # Guyang: 先诊疗后付费 at 14 designated institutions, patient pays 5%
        ("guyang_2017", "五（四）3", ["14所定点医疗机构", "个人5%自费"]),
        # Rongchang: 扶贫济困医疗基金 for out-of-catalogue costs
        ("rongchang_2017", "二（一）7", ["3000元", "30%", "5万元"]),
        # Rongchang: 大病保险 up to 10万 reimbursed at 50%
        ("rongchang_2017", "二（一）1", ["10万元", "达到50%"]),
        # Nantong: medical assistance for outpatient and inpatient self-pay
        ("nantong_2017", "二（二）", ["不低于自付费用70%"]),
        # Nantong: benefits continue two years after exit
        ("nantong_2017", "三（三）", ["脱贫后相关政策延续二年"]),
        # Nantong: low-income line
        ("nantong_2017", "一（三）", ["低于7000元"]),
        # National: 先诊疗后付费 and 一站式 within the county
        ("national_2016", "二（三）", ["先诊疗后付费", "“一站式”信息交换和即时结算"]),
        # Yancheng: free outpatient and inpatient treatment for severe mental disorders
        ("yancheng_2021", "四（四）", ["实施门诊与住院免费救治"]),
    ],
)
def test_clause_spot_checks(
    documents: dict[str, Document], document: str, number: str, fragments: list[str]
) -> None:
    clause = documents[document].clause(number)

    assert clause.number == number
    for fragment in fragments:
        assert fragment in clause.text


def test_yancheng_names_the_30_major_diseases(documents: dict[str, Document]) -> None:
    texts = [clause.text for clause in documents["yancheng_2021"].clauses]
    assert any("30种" in text for text in texts)


def test_document_metadata(documents: dict[str, Document]) -> None:
    rongchang, guyang = documents["rongchang_2017"], documents["guyang_2017"]
    assert rongchang.number == "荣昌府办发〔2017〕13号"
    assert str(rongchang.date) == "2017-01-25"
    assert str(documents["nantong_2017"].date) == "2017-07-21"
    assert str(documents["national_2016"].date) == "2016-06-20"
    assert documents["yancheng_2021"].number == "盐卫财务〔2021〕30号"
    # Guyang's plan prints neither a date nor a document number.
    assert guyang.date is None and guyang.number is None


def test_clause_lookup_tolerates_half_width_brackets_and_spaces(
    documents: dict[str, Document],
) -> None:
    rongchang = documents["rongchang_2017"]
    assert rongchang.clause("二(一) 7") is rongchang.clause("二（一）7")


def test_unknown_clause_is_a_clear_key_error(documents: dict[str, Document]) -> None:
    with pytest.raises(KeyError, match=r"guyang_2017.*no clause '九（一）'"):
        documents["guyang_2017"].clause("九（一）")


# ---------------------------------------------------------------- the annex tables


def test_chronic_disease_table_rows(diseases: ChronicDiseaseTable) -> None:
    rows = {d.number: d for d in diseases.diseases}
    assert len(rows) == 45
    assert (rows[1].name, rows[1].annual_cap) == ("肾功能衰竭（血液透析、腹膜透析）", 64000)
    assert (rows[2].name, rows[2].annual_cap) == ("器官移植术后（抗排异治疗）", 68000)
    assert (rows[23].name, rows[23].annual_cap) == ("慢性心力衰竭（心功能3级以上）", 1500)
    assert (rows[45].name, rows[45].annual_cap) == ("肾病综合征", 4000)
    # Summed by hand from the seed: rows 1–23 give 218500, rows 24–45 give 48000.
    assert sum(d.annual_cap for d in diseases.diseases) == Decimal("266500")


def test_chronic_disease_find_by_name_or_alias(diseases: ChronicDiseaseTable) -> None:
    assert diseases.find("尿毒症") is diseases.find("肾功能衰竭(血液透析、腹膜透析)")
    found = diseases.find(" 慢性心力衰竭 （心功能 3级以上） ")
    assert found is not None and found.number == 23
    assert diseases.find("感冒") is None


def test_rehabilitation_subsidies(rehabilitation: RehabilitationTable) -> None:
    items = {item.name: item for item in rehabilitation.items}
    assert len(rehabilitation.items) == 9
    assert items["人工耳蜗植入手术及服务"].amount == 88500
    assert items["助听器适配及服务"].amount == 19200
    assert (items["定向行走及适应训练"].amount, items["定向行走及适应训练"].per) == (190, "次")
    assert items["认知及适应训练"].who == "0-6岁智力儿童"


def test_table_references_resolve(
    documents: dict[str, Document],
    diseases: ChronicDiseaseTable,
    rehabilitation: RehabilitationTable,
) -> None:
    for table in (diseases, rehabilitation):
        documents[table.reference.document].clause(table.reference.clause)
    annex = documents["guyang_2017"].clause("附件").text
    assert annex.startswith("1 肾功能衰竭（血液透析、腹膜透析） 64000元；")
    assert annex.endswith("；45 肾病综合征 4000元")


# ---------------------------------------------------------------- the loader's refusals

VALID_DOCUMENT = """\
id: sample_2017
title: 示例县贫困人口医疗救助实施方案
issuer: 示例县人民政府
date: "2017-01-25"
region: guyang
clauses:
  - id: "1"
    number: 一
    title: 总体要求
    text: 第一条正文。
  - id: "2"
    number: 二
    title: 基本原则
    text: 第二条正文。
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_sample_document_loads(tmp_path: Path) -> None:
    _write(tmp_path, "sample_2017.yaml", VALID_DOCUMENT)

    documents = load_documents(tmp_path)

    assert documents["sample_2017"].clause("二").text == "第二条正文。"


@pytest.mark.parametrize(
    ("file_name", "old", "new", "path", "reason"),
    [
        # duplicate key: PyYAML would silently keep the second title
        ("sample_2017.yaml", "issuer:", "title: 重复\nissuer:", "line 3", "duplicate key 'title'"),
        # unknown field inside a clause
        ("sample_2017.yaml", "    text: 第一条正文。", "    text: 第一条正文。\n    page: 3",
         "clauses[0].page", "Extra inputs are not permitted"),
        # a date that does not exist
        ("sample_2017.yaml", '"2017-01-25"', '"2017-02-30"', "date", "not a real date"),
        # a date YAML would read as a timestamp-like number
        ("sample_2017.yaml", '"2017-01-25"', "20170125", "date", "quoted ISO date"),
        # two clauses printed with the same number
        ("sample_2017.yaml", "number: 二", "number: 一", "clauses[1].number",
         "duplicate clause number '一'"),
        # a clause whose text is blank
        ("sample_2017.yaml", "text: 第一条正文。", 'text: "  "', "clauses[0].text",
         "must not be empty"),
        # the file is named after another document
        ("other_2017.yaml", "", "", "id", "must be 'other_2017', the file's name"),
        # the id does not follow the printed number (二 → "2")
        ("sample_2017.yaml", 'id: "2"', 'id: "3"', "clauses[1].id", "expected '2'"),
    ],
)  # fmt: skip
def test_document_loader_refuses(
    tmp_path: Path, file_name: str, old: str, new: str, path: str, reason: str
) -> None:
    assert old in VALID_DOCUMENT
    written = _write(tmp_path, file_name, VALID_DOCUMENT.replace(old, new, 1))

    with pytest.raises(PolicyError) as caught:
        load_documents(tmp_path)

    assert caught.value.file == str(written)
    assert caught.value.path == path
    assert reason in caught.value.reason


def _disease_table(rows: int, declared: int = 45) -> dict[str, Any]:
    return {
        "description": "示例特殊慢性病病种",
        "unit": "CNY",
        "period": "year",
        "reference": {"document": "sample_2017", "clause": "附件"},
        "rows": declared,
        "diseases": [
            {"number": n, "name": f"病种{n}", "annual_cap": 1500, "aliases": []}
            for n in range(1, rows + 1)
        ],
    }


def test_disease_table_with_44_rows_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "table.yaml", yaml.safe_dump(_disease_table(44), allow_unicode=True))

    with pytest.raises(PolicyError) as caught:
        load_chronic_diseases(path)

    assert (caught.value.file, caught.value.path) == (str(path), "diseases")
    assert caught.value.reason == "expected 45 diseases, found 44"


@pytest.mark.parametrize(
    ("row", "change", "path", "reason"),
    [
        # an alias that is another disease's name would give find() two answers
        (3, {"aliases": ["病种1"]}, "diseases[3].aliases[0]", "'病种1' already names disease 1"),
        # a cap of zero is a transcription slip, not a policy
        (0, {"annual_cap": 0}, "diseases[0].annual_cap", "greater than 0"),
        # rows out of order
        (4, {"number": 6}, "diseases[4].number", "expected 5, got 6"),
    ],
)
def test_disease_table_refusals(
    tmp_path: Path, row: int, change: dict[str, Any], path: str, reason: str
) -> None:
    table = _disease_table(45)
    table["diseases"][row].update(change)
    written = _write(tmp_path, "table.yaml", yaml.safe_dump(table, allow_unicode=True))

    with pytest.raises(PolicyError) as caught:
        load_chronic_diseases(written)

    assert (caught.value.file, caught.value.path) == (str(written), path)
    assert reason in caught.value.reason


def test_rehabilitation_item_per_must_be_case_or_session(tmp_path: Path) -> None:
    text = (POLICIES / "tables" / "guyang_rehabilitation.yaml").read_text(encoding="utf-8")
    path = _write(tmp_path, "rehab.yaml", text.replace("per: 次", "per: 月", 1))

    with pytest.raises(PolicyError) as caught:
        load_rehabilitation(path)

    assert (caught.value.file, caught.value.path) == (str(path), "items[1].per")
    assert "'例' or '次'" in caught.value.reason
