"""The word featurizer's OOV list (bot/config.yml) follows the training data.

The list is the set of words found in exactly one training example (bench/nlu_report/oov.py
says why); a stale list still trains, but no longer says what the report measured.
"""

from bench.nlu_report import oov


def test_config_lists_the_rare_words_of_the_current_training_data() -> None:
    current = oov.CONFIG.read_text(encoding="utf-8")

    wanted = oov.with_words(current, oov.oov_words())

    assert wanted == current, "run `python -m bench.nlu_report.oov` and commit bot/config.yml"


def test_rare_words_are_the_words_of_one_example_in_featurizer_form() -> None:
    texts = ["今天 天气 咋样", "今天 下雨 吗", "ABC 2500 块", "abc 300 块"]

    words = oov.rare_words(texts)

    # 今天 and 块 are in two examples, abc in two once lower-cased, numbers become __NUMBER__.
    assert "今天" not in words and "块" not in words and "abc" not in words
    assert "__NUMBER__" not in words and "2500" not in words
    assert "下雨" in words and "天气" in words


def test_the_list_is_quoted_so_yaml_keeps_every_word_a_string() -> None:
    line = oov.render_line(["1000", "yes", "滚"])

    assert line == '    OOV_words: ["1000", "yes", "滚"]'


def test_no_intent_name_is_ever_an_oov_word() -> None:
    # Intent labels go through the same featurizer: a label in the list becomes oovtoken.
    words = set(oov.oov_words())
    names = {intent.lower() for intent, _ in oov.training_examples()}

    assert names >= {"goodbye", "thanks", "out_of_scope"}
    assert not words & names
