"""policies/answers: complete, cited, short, and the loader refuses doubtful files."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from actions.answers import (
    MAX_ANSWER_CHARS,
    NATIONAL_DOCUMENT,
    Topic,
    default_documents,
    format_answer,
    load_answers,
)
from settlement.documents import default_policies_dir
from settlement.errors import PolicyError
from settlement.identifiers import Region


def test_every_topic_has_an_answer_for_every_region_and_nationally() -> None:
    book = load_answers()
    for topic in Topic:
        assert book.national[topic].text
        for region in Region.all():
            assert book.answer(topic, region).text


def test_every_reference_names_an_existing_clause() -> None:
    book = load_answers()
    documents = default_documents()
    answers = [*book.national.values()] + [a for r in book.regional.values() for a in r.values()]
    for answer in answers:
        for reference in filter(None, (answer.reference, *answer.also)):
            documents[reference.document].clause(reference.clause)  # KeyError if missing
    for contact in book.contacts.values():
        documents[contact.reference.document].clause(contact.reference.clause)


@pytest.mark.parametrize("region", Region.all())
def test_answers_fit_an_sms_and_name_their_basis(region: Region) -> None:
    book = load_answers()
    for topic in Topic:
        answer = book.answer(topic, region)
        assert len(answer.text) <= MAX_ANSWER_CHARS, (topic, len(answer.text))
        if answer.basis == "national":
            # Silent region: the national rule, and the text says it is the national one.
            assert answer.reference is not None
            assert answer.reference.document == NATIONAL_DOCUMENT
            assert "国家" in answer.text
        if answer.basis == "none":
            assert answer.reference is None and "人工" in answer.text


def test_region_answer_cites_the_clause_by_title() -> None:
    answer = load_answers().answer(Topic.POVERTY_FUND, Region("rongchang"))
    text = format_answer(answer, today=date(2018, 6, 1))
    assert text.endswith("（2017年《重庆市荣昌区健康扶贫工程实施方案》二（一）7）")


def test_an_old_documents_answer_says_where_to_check_the_rule_today() -> None:
    # Issue kind 11: in 2026 a 2017 rule may have changed since.
    answer = load_answers().answer(Topic.POVERTY_FUND, Region("rongchang"))
    text = format_answer(answer, today=date(2026, 11, 29))
    assert text.endswith("这是2017年的文件，现行规定以当地医保经办机构为准。")


def test_guyang_chronic_caps_come_from_the_table() -> None:
    text = load_answers().answer(Topic.CHRONIC_DISEASE, Region("guyang")).text
    assert "共45种" in text
    assert "高血压二级及以上1500元" in text
    assert "糖尿病（注射胰岛素治疗）4300元" in text


def test_yancheng_major_diseases_are_labelled_as_the_national_list() -> None:
    answer = load_answers().answer(Topic.MAJOR_DISEASES, Region("yancheng"))
    assert "儿童先天性心脏病" in answer.text and "等30种" in answer.text
    assert answer.source_note is not None and "不是该文件原文" in answer.source_note


def test_contacts_have_no_invented_phone_numbers() -> None:
    contacts = load_answers().contacts
    assert contacts[Region("guyang")].unit.startswith("县人社局")
    assert contacts[Region("rongchang")].unit == "区卫生计生委"
    assert contacts[Region("nantong")].unit == "县（市）区医保经办机构"
    assert contacts[Region("yancheng")].unit == "县（市、区）卫生健康部门"
    assert all(contact.phone is None for contact in contacts.values())


@pytest.fixture
def policies_copy(tmp_path: Path) -> Path:
    """A writable copy of policies/, for one broken file per test."""
    target = tmp_path / "policies"
    shutil.copytree(default_policies_dir(), target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "reason"),
    [
        # a clause the document does not have
        ("guyang.yaml", "clause: 五（三）1}", "clause: 五（三）9}", "no clause"),
        # another region's document cited as the region's own
        (
            "nantong.yaml",
            "{document: nantong_2017, clause: 二（二）}",
            "{document: guyang_2017, clause: 三}",
            "guyang document",
        ),
        # an unknown field
        (
            "rongchang.yaml",
            "    basis: region\n",
            "    basis: region\n    note: x\n",
            "Extra inputs",
        ),
        # a duplicate key
        ("yancheng.yaml", "  charity:\n", "  health_check:\n", "duplicate key"),
        # a national answer without needs_region
        ("national.yaml", "    needs_region: true\n", "", "required in national.yaml"),
        # a national answer without the topic's name
        ("national.yaml", "    title: 先诊疗后付费\n", "", "title: required in national.yaml"),
        # a region naming a topic: names are written once, in national.yaml
        (
            "guyang.yaml",
            "  treat_first:\n",
            "  treat_first:\n    title: 先看病后付钱\n",
            "only national.yaml names a topic",
        ),
        # an answer with no clause must point to 人工
        ("nantong.yaml", "请回复“人工”，由当地医保经办机构答复。", "请咨询。", "人工"),
        # a placeholder for a disease that is not in the annex
        ("guyang.yaml", "{cap:15}", "{cap:46}", "no chronic disease"),
    ],
)
def test_loader_refuses(policies_copy: Path, file: str, old: str, new: str, reason: str) -> None:
    _edit(policies_copy / "answers" / file, old, new)
    with pytest.raises(PolicyError, match=reason):
        load_answers(policies_copy)


def test_loader_refuses_a_missing_topic(policies_copy: Path) -> None:
    path = policies_copy / "answers" / "guyang.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("  charity:\n")[0], encoding="utf-8")
    with pytest.raises(PolicyError, match="missing topics: charity"):
        load_answers(policies_copy)
