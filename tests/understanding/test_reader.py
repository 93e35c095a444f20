"""The deterministic reader: entities however they are written, and the intent corrections.

Messages here are written for these tests (never copied from data/nlu/ or the conversation set).
"""

from datetime import date

import pytest

from understanding.reader import (
    about_me,
    asks_calculation,
    closing_intent,
    correct_intent,
    despairs,
    episode_facts,
    exit_year,
    is_canonical,
    mentions_domain,
    read,
    topic_cue,
    topic_cues,
)


def entities(text: str) -> dict[str, str]:
    return {found.entity: found.value for found in read(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a town of 固阳, a colloquial level, a stay written as 躺了, an amount in 万千 form
        (
            "兴顺西镇的 在县里的医院躺了一礼拜 花了一万八千六",
            {"region": "guyang", "level": "county", "setting": "inpatient", "amount": "18600"},
        ),
        # a district of 盐城 and a county-level city of 南通
        ("俺是射阳的", {"region": "yancheng"}),
        ("如皋市人", {"region": "nantong"}),
        # 万 with a trailing digit, and a category spelt as 建卡户
        ("建卡户住院花了3万2", {"category": "poor", "setting": "inpatient", "amount": "32000"}),
        # a disease by its alias maps to the annex row; medicine words make it chronic
        ("帕金森每个月吃药", {"disease": "帕金森氏综合征", "setting": "chronic"}),
        ("糖尿病没打胰岛素光吃药", {"disease": "糖尿病非注射胰岛素治疗", "setting": "chronic"}),
        ("糖尿病天天打胰岛素", {"disease": "糖尿病（注射胰岛素治疗）"}),
        # a place outside our four regions
        ("我们是河南周口的", {"place": "河南"}),
        # longest match: 不是贫困户 is not 贫困户
        ("俺不是贫困户", {"category": "none"}),
        # the ID's last six characters stand alone
        ("15002x", {"digits": "15002X"}),
    ],
)
def test_read_finds_closed_vocabularies(text: str, expected: dict[str, str]) -> None:
    found = entities(text)
    for entity, value in expected.items():
        assert found.get(entity) == value, (text, found)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("住院花了负三千", "-3000"),  # a sign in words is kept, so the form refuses it
        ("花了 -800 块", "-800"),
        ("一共0元", "0"),
        ("花了两千亿", "200000000000"),  # absurd, still read: the form says it looks wrong
        ("前后住了十来天，花了九千五", "9500"),  # 十来天 counts days, not yuan
        ("住院三次花了2.5w", "25000"),
    ],
)
def test_amounts_keep_their_sign_and_skip_counts(text: str, amount: str) -> None:
    assert entities(text)["amount"] == amount


def test_a_correction_keeps_the_new_value() -> None:
    assert entities("说错了 不是门诊是住院")["setting"] == "inpatient"
    assert entities("门诊和住院都去过")["setting"] == "outpatient"  # no marker: the first


def test_an_id_token_is_not_read_as_an_amount() -> None:
    assert "amount" not in entities("查一下居民 idtk0123456789abcdef")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("门诊医保给报几成啊", "rates"),
        ("一年到头报销有个上限没", "annual_cap"),
        ("大病保险报销比例多少", "critical_illness"),  # a fund's name beats 比例
        ("住院前要先交押金不", "treat_first"),
        ("帕金森吃药封顶多少", "chronic_disease"),
        ("起付线是多少钱", "deductible"),
        ("今天天气咋样", None),
    ],
)
def test_topic_cues_most_specific_first(text: str, topic: str | None) -> None:
    assert topic_cue(text) == topic


def test_domain_terms_and_calculation_words() -> None:
    assert mentions_domain("高血压药费能不能报")
    assert mentions_domain("县医院")
    assert not mentions_domain("明天下不下雨")
    assert asks_calculation("帮我算算自己掏多少")
    assert not asks_calculation("住院能报几成")


RANKING = [("ask_deductible", 0.4), ("estimate_cost", 0.3), ("greet", 0.1)]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # an amount spent with a setting is a calculation, even without 自己掏多少
        ("荣昌贫困户住院花了两万", "inform", "estimate_cost"),
        ("荣昌贫困户住院花了两万", "ask_deductible", "estimate_cost"),
        # a rule question mistaken for a calculation gets the best topic intent
        ("固阳门诊报几成", "estimate_cost", "ask_deductible"),
        # a health question is never off-topic
        ("帕金森封顶多少", "out_of_scope", "ask_deductible"),
        ("医保卡丢了咋办", "out_of_scope", "ask_deductible"),
        # asking to calculate without an amount starts the form
        ("帮我算算自己掏多少", "out_of_scope", "estimate_cost"),
        # an answer to the form (only an amount) stays an answer
        ("两万", "inform", None),
        # chit-chat without a domain word is left alone
        ("哈哈哈", "out_of_scope", None),
        # a place outside our regions goes to the fallback, which says which we cover
        ("我是成都的", "out_of_scope", "nlu_fallback"),
        # corrections and verification answers are never changed
        ("不对 是3万", "correct", None),
    ],
)
def test_correct_intent(text: str, intent: str, expected: str | None) -> None:
    assert correct_intent(text, intent, RANKING, read(text)) == expected


def test_a_weak_guess_on_a_domain_message_goes_to_clause_search() -> None:
    ranking = [("out_of_scope", 0.9), ("ask_charity", 0.05)]
    assert correct_intent("医保卡丢了咋办", "out_of_scope", ranking, []) == "nlu_fallback"


def test_words_with_number_characters_are_not_amounts() -> None:
    assert "amount" not in entities("红十字会能帮忙出医药费吗")  # 十 inside a name
    assert "amount" not in entities("骨髓移植要好几十万")  # a rough size
    assert "amount" not in entities("药费一年报的上限是几千")
    assert entities("住一次院七千二能给报回来多少")["amount"] == "7200"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 加一块 is "together", 二十来只羊 counts sheep, 二十分钟 counts minutes: no amounts
        ("医保救助加一块最多给报好多", None),
        ("家里二十来只羊没人管", None),
        ("骑车二十分钟就到镇上", None),
        # but 一万八 before 个人 is money, and so is 两万 before 里头
        ("住院花了一万八 个人要出多少", "18000"),
        ("住院两万 里头有五千是自费药", "20000"),
    ],
)
def test_counts_and_words_are_not_amounts(text: str, expected: str | None) -> None:
    assert entities(text).get("amount") == expected


def test_an_out_of_catalogue_amount_may_come_before_its_word() -> None:
    assert entities("里头有八千是医保目录外的")["out_of_catalogue"] == "8000"
    assert "out_of_catalogue" not in entities("结算单上有自费一栏，那个也在5%里面吗")


def test_a_city_hospital_hidden_behind_the_city_name_is_a_level() -> None:
    assert entities("是在南通市里的医院住的") == {"region": "nantong", "level": "city"}
    assert entities("盐城市里的大医院")["level"] == "city"


def test_a_band_bound_in_a_rule_question_is_no_bill() -> None:
    text = "大病保险起付到十万中间贫困户给报几成"
    assert correct_intent(text, "estimate_cost", [("ask_critical_illness", 0.3)], read(text)) == (
        "ask_critical_illness"
    )


def test_a_correct_intent_without_a_correction_naming_a_rule_is_a_rule_question() -> None:
    text = "那个50万封顶是一年50万还是一共50万"
    ranking = [("correct", 0.6), ("ask_annual_cap", 0.2)]
    assert correct_intent(text, "correct", ranking, read(text)) == "ask_annual_cap"


def test_a_place_outside_our_regions_is_never_estimated() -> None:
    text = "我是四川南充的 住院花了四万二 自己出多少"
    assert correct_intent(text, "estimate_cost", [], read(text)) == "nlu_fallback"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("那要是在镇卫生院住呢", "inform"),
        ("哦说错了 是在市里的医院住的", "correct"),
        ("那里头有六千是目录外的 还是这么多吗", "inform"),
        # a question of its own besides the facts is not a fact
        ("荣昌这边住院得住满三天才给报销，是这样不", None),
        ("住院花了", None),
    ],
)
def test_a_fact_alone_answers_the_form_or_changes_the_last_estimate(
    text: str, expected: str | None
) -> None:
    assert correct_intent(text, "nlu_fallback", [], read(text)) == expected


def test_asking_for_a_person_is_the_handoff() -> None:
    text = "医院多收了钱，能不能有人帮我处理一下"
    assert correct_intent(text, "ask_one_stop", [], read(text)) == "human_handoff"


@pytest.mark.parametrize(
    ("text", "year"),
    [("俺家2019年脱贫了", 2019), ("我们是16年脱的贫", 2016), ("2020年住的院", None)],
)
def test_the_year_of_leaving_poverty(text: str, year: int | None) -> None:
    assert exit_year(text, date(2026, 11, 30)) == year


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("我家去年才脱的贫", 2025),
        ("前年脱贫的", 2024),
        ("今年刚脱了贫", 2026),
        ("去年住的院", None),
    ],
)
def test_the_year_of_leaving_poverty_said_relative_to_today(text: str, year: int | None) -> None:
    assert exit_year(text, date(2026, 11, 30)) == year


@pytest.mark.parametrize("intent", ["affirm", "inform", "out_of_scope"])
def test_a_place_outside_our_regions_gets_which_regions_we_cover(intent: str) -> None:
    # DIET reads 「我是…的」 as affirm; the place still decides (only 人工 goes to a person).
    text = "俺是河南周口的"
    assert correct_intent(text, intent, [], read(text)) == "nlu_fallback"


def test_what_is_asked_wins_over_whom_it_is_asked_about() -> None:
    assert topic_cue("残疾娃在卫生院住院要扣起付线不") == "deductible"
    assert topic_cue("残疾人做康复有补贴吗") == "rehabilitation"


def test_a_classifier_value_that_is_none_of_ours_is_refused() -> None:
    assert not is_canonical("region", "区")
    assert not is_canonical("amount", "多")
    assert is_canonical("amount", "两万三") and is_canonical("amount", "-5000")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a correction that names the wrong value too: the one denied is dropped
        ("刚才说错了 我家是荣昌的 不是盐城", {"region": "rongchang"}),
        ("不是南通 是固阳", {"region": "guyang"}),
        ("住的是乡里的卫生院，不是在县医院", {"level": "township"}),
        ("不是门诊 是住院", {"setting": "inpatient"}),
    ],
)
def test_a_value_said_not_to_be_the_one_is_dropped(text: str, expected: dict[str, str]) -> None:
    assert entities(text) == expected


def test_a_denied_value_alone_is_still_read() -> None:
    # 「不是南通的」 alone may answer 「您是南通的吗」; nothing else names a region.
    assert entities("不是南通的") == {"region": "nantong"}


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # a cue word with one character slipped in: 二次救助, 住院押金
        ("村里说有二次的救助", "medical_assistance"),
        ("住院的押金要不要交", "treat_first"),
        # medicines the insurance would not pay for
        ("医保不给报的那些药谁管", "poverty_fund"),
        ("票子该跑哪去报", "one_stop"),
    ],
)
def test_a_cue_word_written_loosely_still_names_its_topic(text: str, topic: str) -> None:
    assert topic_cue(text) == topic


def test_a_cue_written_exactly_wins_over_a_loose_one() -> None:
    # 「押金」 stands as written: the loose reading of another topic is not looked for.
    assert topic_cues("要交押金吗") == ["treat_first"]


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("俺能享受啥", True),
        ("我们家能享受什么", True),
        # one rule named besides the words of asking about oneself: the rule is asked
        ("俺家前年脱贫了 这些照顾还能享受不", False),
        ("我家老人慢病能享受啥", False),
    ],
)
def test_asking_about_oneself_is_personal_unless_one_rule_is_named(
    text: str, personal: bool
) -> None:
    assert about_me(text) is personal


@pytest.mark.parametrize("intent", ["out_of_scope", "deny", "estimate_cost", "greet"])
def test_words_of_despair_go_to_a_person_whatever_the_classifier_said(intent: str) -> None:
    text = "看病欠了一屁股债 真不想活了"
    assert despairs(text)
    assert correct_intent(text, intent, [(intent, 0.9)], read(text)) == "human_handoff"


def test_hard_days_are_not_despair() -> None:
    assert not despairs("这几天累死了")
    assert not despairs("好久没回村 想死你们了")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("嗯嗯 明白了 谢谢您", "thanks"),
        ("行 知道了 拜拜", "goodbye"),
        ("好嘞 没别的了", "goodbye"),
        # not only closing words: a question follows, or a greeting
        ("明白了 那门诊呢", None),
        ("你好", None),
    ],
)
def test_a_message_of_closing_words_closes_the_conversation(
    text: str, expected: str | None
) -> None:
    assert closing_intent(text) == expected
    if expected is not None:  # the classifier's fallback is corrected; its own guess is kept
        assert correct_intent(text, "out_of_scope", [], read(text)) == expected
        assert correct_intent(text, "affirm", [], read(text)) is None


def test_not_knowing_how_to_go_on_reaches_a_person() -> None:
    text = "家里就剩我一个 真不知道日子咋过下去"
    assert correct_intent(text, "out_of_scope", [], read(text)) == "human_handoff"


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("闺女是残疾 在县医院住的院", {"disability": "child"}),
        ("老伴一级残疾", {"disability": "severe"}),
        ("俺是残疾人", {}),  # not said to be severe
        ("这是今年第三回住院了", {"stay": 2}),
        ("头一回住院", {}),
    ],
)
def test_facts_that_change_a_deductible(text: str, facts: dict[str, object]) -> None:
    assert episode_facts(text) == facts


def test_stopping_the_estimate_alone_is_a_no_and_with_a_question_the_question() -> None:
    assert correct_intent("先不算了吧", "out_of_scope", [], read("先不算了吧")) == "deny"
    text = "别算了 门诊报几成"
    assert correct_intent(text, "ask_rates", [("ask_rates", 0.9)], read(text)) != "deny"
