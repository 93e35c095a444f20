"""What a message says, found deterministically: entities, topic cues, and intent corrections.

`read(text)` → the entities (one value per kind; after a correction marker the last one);
`topic_cue(text)` → the topic a rule question names; `mentions_domain(text)`;
`correct_intent(text, intent, ranking, found)` → the intent to use instead of the classifier's,
or None to keep it. These rules need no dialogue state; what depends on it (is a form asking?)
stays with the actions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from understanding.numerals import find_amount
from understanding.sounds import sound_alike_regions
from understanding.words import POLICIES, Lexicon, Word, load_lexicon

# The last six characters of an ID number standing alone (the verification answer).
_DIGITS = re.compile(r"(?<![0-9A-Za-z.])([0-9]{5}[0-9Xx])(?![0-9A-Za-z.万千百元块])")
_ID_TOKEN = re.compile(r"idtk[0-9a-f]{16}")
_INSULIN_NO = ("不打针", "不打胰岛素", "没打胰岛素", "不用打", "不注射", "口服", "吃药", "吃的药")
_INSULIN_YES = ("打针", "打胰岛素", "注射胰岛素", "胰岛素")
_DIABETES_NO_INSULIN = "糖尿病非注射胰岛素治疗"
_DIABETES_INSULIN = "糖尿病（注射胰岛素治疗）"
_CHRONIC_HINTS = (
    "吃药",
    "买药",
    "买了",
    "拿药",
    "药费",
    "药钱",
    "用药",
    "开药",
    "服药",
    "透析",
    "一年下来",
)
CHITCHAT = ("greet", "goodbye", "thanks", "affirm", "deny", "help")
FALLBACKS = ("out_of_scope", "nlu_fallback")
# Topics whose answer is a figure: an amount in such a question is asked about, not spent.
RULE_FIGURE_TOPICS = ("annual_cap", "deductible")
# A domain intent below this confidence is no better than the clause search.
MIN_DOMAIN_CONFIDENCE = 0.15


@dataclass(frozen=True)
class Found:
    entity: str
    value: str
    start: int
    end: int
    text: str


def _scan(text: str, lexicon: Lexicon, only: str | None = None) -> list[Found]:
    """Longest match at each position, left to right, no overlaps (of one kind if `only`)."""
    found: list[Found] = []
    by_first: dict[str, list[Word]] = {}
    for word in lexicon.words:
        if only is None or word.entity == only:
            by_first.setdefault(word.text[0], []).append(word)
    i = 0
    while i < len(text):
        for word in by_first.get(text[i], ()):
            if text.startswith(word.text, i):
                found.append(Found(word.entity, word.value, i, i + len(word.text), word.text))
                i += len(word.text)
                break
        else:
            i += 1
    return found


def _diabetes(found: Found, text: str) -> Found:
    if found.value != "糖尿病" and found.text != "糖尿病":
        return found
    tail = text[found.start :]
    if any(w in tail for w in _INSULIN_NO):
        return Found("disease", _DIABETES_NO_INSULIN, found.start, found.end, found.text)
    if any(w in tail for w in _INSULIN_YES):
        return Found("disease", _DIABETES_INSULIN, found.start, found.end, found.text)
    return found


def read(text: str, policies_dir: Path = POLICIES) -> list[Found]:
    """One entity per kind, in text order: the first, or after a correction marker the last."""
    lexicon = load_lexicon(policies_dir)
    masked = _ID_TOKEN.sub(lambda m: " " * len(m.group()), text)
    spans = [_diabetes(f, masked) for f in _scan(masked, lexicon)]
    if not any(f.entity == "region" for f in spans):
        # 「固羊」「容昌」: a region name typed with a wrong character of the same sound.
        taken = [(f.start, f.end) for f in spans]
        spans += [
            Found("region", region, start, end, masked[start:end])
            for start, end, region in sound_alike_regions(masked, lexicon, taken)
        ]
    # 「南通市里的（大）医院」: 南通市 (a region) hides 市里的医院 (a level) from the first scan.
    hidden = [
        f
        for f in _scan(masked, lexicon, only="level")
        if any(r.entity == "region" and r.start < f.start < r.end for r in spans)
    ]
    if hidden:
        spans = [
            f
            for f in spans
            if not (f.entity == "level" and hidden[0].start <= f.start < hidden[0].end)
        ]
        spans.append(hidden[0])
    digits = _DIGITS.search(masked)
    if digits is not None:
        spans.append(Found("digits", digits.group(1).upper(), *digits.span(1), digits.group(1)))
    outside = _out_of_catalogue(masked, lexicon)
    if outside is not None:
        spans.append(outside)
        if outside.value != "0":
            # The bill is the other amount: read the text with the out-of-catalogue one blanked.
            masked = (
                masked[: outside.start]
                + " " * (outside.end - outside.start)
                + masked[outside.end :]
            )
    amount = find_amount(masked)
    if amount is not None:
        # A bare six-character number is the ID's tail, unless money words stand next to it.
        is_tail = digits is not None and digits.start(1) == amount.start
        if not is_tail or _money_near(masked, amount.start, amount.end, lexicon):
            piece = text[amount.start : amount.end]
            spans.append(Found("amount", _decimal(amount.value), amount.start, amount.end, piece))
    hint = _chronic_hint(spans, masked)
    if hint is not None:
        spans.append(hint)
    correcting = any(marker in masked for marker in lexicon.cue("corrections"))
    # 「俺户口是固阳的 不是南通」「在市医院住的 不是县医院」: a value said not to be the one is
    # dropped when the message gives another of its kind.
    denied = [f for f in spans if _denied(masked, f)]
    spans = [
        f
        for f in spans
        if f not in denied or not any(o.entity == f.entity and o not in denied for o in spans)
    ]
    chosen: dict[str, Found] = {}
    for span in sorted(spans, key=lambda f: f.start):
        if span.entity not in chosen or correcting:
            chosen[span.entity] = span
    return sorted(chosen.values(), key=lambda f: f.start)


_DENIALS = ("不是", "并非", "而非", "不在")


def _denied(text: str, found: Found) -> bool:
    """Whether a denial stands right before the entity (「不是南通」「不是在县医院」)."""
    before = text[: found.start].rstrip(" ，,")
    return before.endswith(_DENIALS) or before.endswith(tuple(d + "在" for d in _DENIALS))


def _decimal(value: Decimal) -> str:
    """The entity value of an amount: a plain signed decimal ("-5000", "23000", "1.5")."""
    return format(value.normalize(), "f")


def _money_near(text: str, start: int, end: int, lexicon: Lexicon) -> bool:
    window = text[max(0, start - 4) : end + 2]
    return any(word in window for word in lexicon.cue("spent"))


def _chronic_hint(spans: list[Found], text: str) -> Found | None:
    """A disease with medicine words and no setting named: chronic-disease medicines."""
    if any(f.entity == "setting" for f in spans) or not any(f.entity == "disease" for f in spans):
        return None
    for word in _CHRONIC_HINTS:
        at = text.find(word)
        if at >= 0:
            return Found("setting", "chronic", at, at + len(word), word)
    return None


def is_canonical(entity: str, value: str, policies_dir: Path = POLICIES) -> bool:
    """Whether a value another extractor found is one of ours (DIET's 「区」 is no region,
    its 「多」 no amount)."""
    lexicon = load_lexicon(policies_dir)
    if entity == "region":
        return value in lexicon.regions
    if entity in ("setting", "level", "category", "disease"):
        return any(w.entity == entity and w.value == value for w in lexicon.words)
    if entity in ("amount", "out_of_catalogue"):
        # DIET's 「多」 out of 「还是这么多吗」 is no amount: it would blank the total.
        return find_amount(value) is not None
    return True


_OUTSIDE_BEFORE = re.compile(
    r"([0-9零一二两三四五六七八九十百千万.]+(?:元|块钱|块)?)(?:都|全)?是(?:医保)?$"
)


def _out_of_catalogue(text: str, lexicon: Lexicon) -> Found | None:
    """「都是目录内的」「没自费」 → 0; 「目录外的有三万」「自费的一万五」 → that amount."""
    for phrase in lexicon.cue("none_out_of_catalogue"):
        at = text.find(phrase)
        if at >= 0:
            return Found("out_of_catalogue", "0", at, at + len(phrase), phrase)
    for word in lexicon.cue("out_of_catalogue"):
        at = text.find(word)
        if at < 0:
            continue
        window_start = at + len(word)
        span = find_amount(text[window_start:])
        if span is not None and span.start < 8:
            start, end = window_start + span.start, window_start + span.end
            return Found("out_of_catalogue", _decimal(span.value), start, end, text[start:end])
        # 「里头有八千是医保目录外的」「五千是自费药」: the amount just before the word.
        before = _OUTSIDE_BEFORE.search(text[max(0, at - 12) : at])
        if before is not None:
            span = find_amount(before.group(1))
            if span is not None:
                start = max(0, at - 12) + before.start(1) + span.start
                end = start + (span.end - span.start)
                return Found("out_of_catalogue", _decimal(span.value), start, end, text[start:end])
    return None


_EXIT_YEAR = re.compile(
    r"((?:19|20)\d\d|\d\d)\s*年[^，。？！,?!]{0,6}?(?:脱贫|脱的|脱了|摘帽|退出)"
)


_RELATIVE_EXIT_YEAR = re.compile(
    r"(今年|去年|前年|大前年)[^，。？！,?!]{0,6}?(?:脱贫|脱的|脱了|摘帽|退出)"
)
_YEARS_AGO = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}


def exit_year(text: str, today: date | None = None) -> int | None:
    """「俺家2019年脱贫了」「16年脱的」 → 2019, 2016; 「俺们是去年才脱的贫」 → last year (of
    `today`, default the machine's date): the year a household left poverty, or None."""
    match = _EXIT_YEAR.search(text)
    if match is not None:
        year = int(match.group(1))
        return year + 2000 if year < 100 else year
    relative = _RELATIVE_EXIT_YEAR.search(text)
    if relative is None:
        return None
    return (today or date.today()).year - _YEARS_AGO[relative.group(1)]


# A topic naming whom a question is about gives way to one naming what is asked about it:
# 「残疾娃住院要扣起付线不」 asks the deductible (whose answer has the disabled children's rule).
_WHO_TOPICS = ("rehabilitation", "mental_illness", "women_children")
_WHAT_TOPICS = ("deductible", "annual_cap")


def topic_cue(text: str, policies_dir: Path = POLICIES) -> str | None:
    """The topic whose cue word the message holds, most specific topic first."""
    cues = topic_cues(text, policies_dir)
    if cues and cues[0] in _WHO_TOPICS:
        what = next((c for c in cues if c in _WHAT_TOPICS), None)
        if what is not None:
            return what
    return cues[0] if cues else None


def topic_cues(text: str, policies_dir: Path = POLICIES) -> list[str]:
    """Every topic whose cue word the message holds, most specific first. When no cue stands
    in it as written, cues of three or more characters are looked for with one character
    slipped in between any two of theirs (「二次的救助」 for 二次救助, 「跑哪去办」 for 跑哪办)."""
    lexicon = load_lexicon(policies_dir)
    exact = [topic for topic, cues in lexicon.topics if any(cue in text for cue in cues)]
    if exact:
        return exact
    return [topic for topic, pattern in _gapped_cues(policies_dir) if pattern.search(text)]


_GAP = r"[^\s，。？！、,.?!；;：:]?"


@functools.lru_cache(maxsize=4)
def _gapped_cues(policies_dir: Path) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(topic, a pattern of its cues of 3+ characters with a gap of one allowed between any
    two), in the topics' order."""
    patterns = []
    for topic, cues in load_lexicon(policies_dir).topics:
        long = [cue for cue in cues if len(cue) >= 3]
        if long:
            alternatives = "|".join(_GAP.join(map(re.escape, cue)) for cue in long)
            patterns.append((topic, re.compile(alternatives)))
    return tuple(patterns)


def mentions_domain(text: str, policies_dir: Path = POLICIES) -> bool:
    """A region, setting, level, category, disease, fund or other health-benefit word."""
    lexicon = load_lexicon(policies_dir)
    if any(
        f.entity in ("region", "setting", "level", "category", "disease")
        for f in read(text, policies_dir)
    ):
        return True
    return (
        any(term in text for term in lexicon.cue("domain_terms"))
        or topic_cue(text, policies_dir) is not None
    )


def about_someone(text: str, policies_dir: Path = POLICIES) -> bool:
    """「他慢病额度还剩多少」: what is on file for a third person (其他 is not 他)."""
    lexicon = load_lexicon(policies_dir)
    plain = text
    for word in ("其他", "其她", "娃他", "孩子他", "娃她", "孩子她"):  # 「娃他爸」 is the sender
        plain = plain.replace(word, "")
    third = any(word in plain for word in lexicon.cue("third_person"))
    return third and any(word in plain for word in lexicon.cue("about_them"))


def about_me(text: str, policies_dir: Path = POLICIES) -> bool:
    """「俺能享受啥」「我这个贫困户有哪些照顾」: what applies to the sender personally. Not when,
    the words of asking about oneself aside, the message names one rule (「俺家去年脱贫了 那些
    照顾还能享受不」 asks the rule after leaving poverty, which the year given answers)."""
    lexicon = load_lexicon(policies_dir)
    first = any(word in text for word in lexicon.cue("first_person"))
    said = [word for word in lexicon.cue("about_me") if word in text]
    if not first or not said:
        return False
    rest = text
    for word in sorted(said, key=len, reverse=True):
        rest = rest.replace(word, " ")
    return topic_cue(rest, policies_dir) in (None, "overview")


_FILLERS = re.compile(r"[\s，,。.！!～~、啊呀哈啦了的哦噢嘛吧呢嗯哟]+")


def closing_intent(text: str, policies_dir: Path = POLICIES) -> str | None:
    """ "goodbye" or "thanks" when the message is nothing but words that close a conversation
    (policies/words/common.yaml `closings`: 好的, 晓得了, 谢谢, 再见…) and fillers; "goodbye"
    when one of them takes leave (`leaving`). None otherwise."""
    lexicon = load_lexicon(policies_dir)
    rest = text
    said = False
    for word in sorted(lexicon.cue("closings"), key=len, reverse=True):
        if word in rest:
            said = True
            rest = rest.replace(word, " ")
    if not said or _FILLERS.sub("", rest):
        return None
    return "goodbye" if any(word in text for word in lexicon.cue("leaving")) else "thanks"


_CHILD_WORDS = ("娃", "孩子", "儿童", "小孩", "儿子", "闺女", "女儿", "孙子", "孙女")
_SEVERE_DISABILITY = ("重度残疾", "一级残疾", "二级残疾", "残疾一级", "残疾二级", "重残")
_REPEAT_STAY = re.compile(
    r"(?:第[二三四五2-5]|又一)[次回趟](?:住院|住的院|住了)|再次住院|又住院|又住了院|又住进"
)


def episode_facts(text: str) -> dict[str, object]:
    """What a resident said about the person and the stay that changes a deductible
    (固阳 五（三）2: none for 残疾儿童 and 重度残疾人 at county and township level, none on a second
    stay of the year at the same level), and the year the household left poverty (the
    continuation): {"disability": "child" | "severe", "stay": 2, "exit_year": 2025}, only the
    facts said. 「残疾」 alone says neither (a disabled adult need not be severely disabled)."""
    facts: dict[str, object] = {}
    if "残疾" in text or "残障" in text:
        if any(word in text for word in _CHILD_WORDS):
            facts["disability"] = "child"
        elif any(word in text for word in _SEVERE_DISABILITY):
            facts["disability"] = "severe"
    if _REPEAT_STAY.search(text):
        facts["stay"] = 2
    year = exit_year(text)
    if year is not None:
        facts["exit_year"] = year
    return facts


def stops_calculating(text: str, policies_dir: Path = POLICIES) -> bool:
    """「先不算了」「别算了」: the resident stops a cost estimate already started
    (policies/words/common.yaml `stop_calculating`)."""
    return any(word in text for word in load_lexicon(policies_dir).cue("stop_calculating"))


def despairs(text: str, policies_dir: Path = POLICIES) -> bool:
    """Words of despair (policies/words/common.yaml `despair`: 不想活, 活不下去…)."""
    return any(word in text for word in load_lexicon(policies_dir).cue("despair"))


def asks_calculation(text: str, policies_dir: Path = POLICIES) -> bool:
    return any(cue in text for cue in load_lexicon(policies_dir).cue("calculate"))


def _bill(found: list[Found], text: str, lexicon: Lexicon) -> bool:
    """An amount of money spent (positive or not: an impossible one is refused by the form).

    A calculation word or a spending word (花了, 费用…) makes any amount a bill; otherwise it
    needs a setting, level, disease or 元/一共 beside it, and a question about a rule's own
    figure (封顶, 起付线, 比例) is not a bill.
    """
    amount = next((f for f in found if f.entity == "amount"), None)
    if amount is None:
        return False
    if asks_calculation(text) or any(word in text for word in lexicon.cue("spent")):
        return True
    if _band_figure(amount, text):
        return False
    context = any(f.entity in ("setting", "level", "disease") for f in found)
    if topic_cue(text) in RULE_FIGURE_TOPICS and not context:
        return False
    share = any(word in text for word in lexicon.cue("my_share"))
    return context or share or any(word in text for word in lexicon.cue("amount_words"))


# 「起付到十万中间」「超过20万的部分」「5万以内」: the bound of a band in a rule, not a bill.
_BAND_BEFORE = re.compile(r"(?:到|至|超过|超出|不超过|高于|低于|满|以上到)\s*$")
_BAND_AFTER = re.compile(
    r"^\s*(?:元|块)?(?:以上|以下|以内|之内|之间|中间|内的|的部分|那段|这段|那一段|这一段|封顶)"
)


def _band_figure(amount: Found, text: str) -> bool:
    return bool(_BAND_BEFORE.search(text[: amount.start]) or _BAND_AFTER.match(text[amount.end :]))


_FACTS = ("region", "setting", "level", "category", "disease", "out_of_catalogue")
# A fact alone, not a question: a short message whose words besides the facts are filler.
FACT_MAX_CHARS = 24
FACT_FILLER_CHARS = 7


def _only_facts(text: str, found: list[Found], lexicon: Lexicon) -> bool:
    kinds = {f.entity for f in found}
    if not kinds or not kinds <= set(_FACTS) or len(text) > FACT_MAX_CHARS:
        return False
    outside = next((f for f in found if f.entity == "out_of_catalogue"), None)
    if outside is not None and outside.value != "0" and kinds == {"out_of_catalogue"}:
        return True  # 「里头有八千是目录外的 还是这么多吗」 changes the bill
    if not kinds & {"setting", "level", "out_of_catalogue"}:
        return False  # 「固阳」「贫困户」 alone may start anything
    if topic_cue(text) is not None or any(
        word in text for word in (*lexicon.cue("spent"), *lexicon.cue("calculate"))
    ):
        return False  # 「住院花了」 starts an estimate; 「住院报几成」 asks a rule
    if any(w in text for w in lexicon.cue("question_words") if w != "呢"):
        return False  # 「住院先不交钱可以吗」 asks something
    # What is left besides the facts and a correction is filler (「那要是在…住呢」「哦 是在」),
    # not a question of its own (「住院得住满三天才给报销，是这样不」).
    covered = [False] * len(text)
    for f in found:
        for i in range(f.start, min(f.end, len(text))):
            covered[i] = True
    rest = "".join(c for c, used in zip(text, covered, strict=True) if not used)
    for marker in lexicon.cue("corrections"):
        rest = rest.replace(marker, "")
    rest = re.sub(r"[\s，。,.!！?？~～]", "", rest)
    return len(rest) <= FACT_FILLER_CHARS


def _best(
    ranking: list[tuple[str, float]], allowed: Callable[[str], bool]
) -> tuple[str, float] | None:
    for name, confidence in ranking:
        if allowed(name):
            return name, confidence
    return None


def _is_topic(name: str) -> bool:
    return name.startswith("ask_") and name != "ask_detail"


def correct_intent(
    text: str,
    intent: str | None,
    ranking: list[tuple[str, float]],
    found: list[Found],
    policies_dir: Path = POLICIES,
) -> str | None:
    """The intent the message should have, when the classifier's is wrong by these rules:

    - an amount spent (with a setting, level, disease, 花了…) or a request to calculate
      (「帮我算」) → `estimate_cost`;
    - what is on file for a third person (「他慢病额度还剩多少」) → `lookup_resident`;
    - a place outside our regions and none of ours → `nlu_fallback` (which says which we cover);
    - `estimate_cost` with neither, a fallback, or chit-chat/inform naming a topic, on a
      message about health benefits → the topic intent (the action picks the topic by its cue
      words), else the best domain intent if the classifier gave it some weight, else
      `nlu_fallback` (clause search): never the off-topic refusal.
    Returns None to keep the classifier's intent.
    """
    if text.startswith("/") or _ID_TOKEN.search(text):
        return None
    lexicon = load_lexicon(policies_dir)
    if stops_calculating(text, policies_dir) and topic_cue(text, policies_dir) is None:
        # 「先不算了」 alone: a no to the form's question (the form then ends, actions/estimate.py).
        return "deny" if intent != "deny" else None
    closing = closing_intent(text, policies_dir)
    if closing is not None and intent in FALLBACKS:
        # 「好的 晓得了 谢谢 再见」: nothing but words that close a conversation.
        return closing
    if (
        intent == "correct"
        and topic_cue(text, policies_dir) is not None
        and not any(m in text for m in lexicon.cue("corrections"))
    ):
        # 「50万封顶是一年50万还是这辈子50万」 holds 是 and names a rule, but corrects nothing.
        return correct_intent(text, "nlu_fallback", ranking, found, policies_dir)
    if intent in ("correct", "provide_digits", "lookup_resident", "ask_detail"):
        return None
    kinds = {f.entity for f in found}
    if despairs(text, policies_dir) or any(word in text for word in lexicon.cue("needs_person")):
        # 「能不能有人帮我处理一下」「我要投诉」「不想活了」: a person, whatever else it asks.
        return "human_handoff" if intent != "human_handoff" else None
    if about_someone(text, policies_dir) and "amount" not in kinds:
        return "lookup_resident"
    if about_me(text, policies_dir) and "amount" not in kinds and "region" not in kinds:
        return "my_benefits" if intent != "my_benefits" else None
    if "place" in kinds and "region" not in kinds and intent != "human_handoff":
        # 「我是成都的，花了两万自己掏多少」: only our regions' rules, never an estimate.
        return "nlu_fallback" if intent != "nlu_fallback" else None
    if _only_facts(text, found, lexicon):
        # 「那要是在镇卫生院住呢」「哦不对 是在市里的医院住的」「里头有八千是目录外的」: a fact
        # for the form or for the last estimate, not a question.
        if intent in ("inform", "correct"):
            return None
        return "correct" if any(m in text for m in lexicon.cue("corrections")) else "inform"
    calc = asks_calculation(text, policies_dir)
    if _bill(found, text, lexicon) or calc:
        if intent == "inform" and not (calc or "setting" in kinds):
            return None  # 「两万」 answering the form stays an answer
        if intent == "my_benefits" and not calc:
            return None
        return "estimate_cost" if intent != "estimate_cost" else None
    cue = topic_cue(text, policies_dir)
    asking = any(w in text for w in lexicon.cue("question_words")) or text.endswith(("？", "?"))
    rule_question = (
        intent == "estimate_cost"
        or intent in FALLBACKS
        or (intent in (*CHITCHAT, "inform") and cue is not None)
        # 「结算单上有自费一栏，那个也在5%里面吗」 read as inform: a question, not an answer
        or (intent == "inform" and asking and len(text) > FACT_MAX_CHARS // 2)
    )
    if not rule_question:
        return None
    if intent != "estimate_cost" and not mentions_domain(text, policies_dir):
        return None
    if cue is not None:
        best = _best(ranking, _is_topic)
        return best[0] if best else "ask_deductible"
    best = _best(ranking, lambda n: _is_topic(n) or n == "my_benefits")
    if best is not None and best[1] >= MIN_DOMAIN_CONFIDENCE:
        return best[0]
    return "nlu_fallback" if intent != "nlu_fallback" else None
