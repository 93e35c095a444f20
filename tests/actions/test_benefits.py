"""Issue kind 7: a personal answer lists everything on file that applies to the person."""

from datetime import date

from actions.benefits import benefits_text
from settlement.identifiers import Category, Disability, Region
from tests.actions.fakes import guyang_resident

TODAY = date(2026, 11, 29)


def test_a_disabled_child_in_guyang_hears_there_is_no_deductible() -> None:
    text = benefits_text(guyang_resident(disability=Disability.CHILD, diseases=()), TODAY)
    assert "残疾儿童：在县级、乡镇级定点医院住院不设起付线，直接按比例报销（五（三）2）" in text
    assert "免费提供精准康复服务" in text


def test_each_chronic_disease_with_its_cap_and_what_is_left() -> None:
    text = benefits_text(guyang_resident(), TODAY)
    assert "高血压二级及以上：年度限额1500.00元，今年已报300.00元，还剩1200.00元" in text


def test_the_continuation_after_exit_says_until_when() -> None:
    exited = guyang_resident(
        region=Region("nantong"), category=Category.EXITED, exit_year=2025, diseases=()
    )
    assert "可享受到2027年底（三（三））" in benefits_text(exited, TODAY)
    long_ago = guyang_resident(
        region=Region("nantong"), category=Category.EXITED, exit_year=2016, diseases=()
    )
    assert "已于2018年底结束" in benefits_text(long_ago, TODAY)


def test_yancheng_says_its_transition_is_over_by_the_rules_dates() -> None:
    resident = guyang_resident(region=Region("yancheng"), category=Category.DIBAO, diseases=())
    assert "过渡期已于2025年底结束" in benefits_text(resident, TODAY)
    assert "5年过渡期内健康帮扶政策保持总体稳定" in benefits_text(resident, date(2024, 1, 1))
