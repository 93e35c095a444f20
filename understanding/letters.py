"""Long letters: a resident's story with one or more questions in it (issue kind 10).

The NLU is trained on short questions, so a letter is condensed for it (`condense`): its main
question, with in front the facts that question needs from the rest of the story. The other
questions (`other_questions`) are answered after it by the actions, from the whole letter the
gateway passes in the metadata.

A letter's questions are its parts that ask (a question word, or ？). The main one scores
highest: a part right after 「我想问问」「请问」 (+2), each topic cue or domain term it holds
(+1), a ？ (+1); the earliest wins a tie. A question about a rule gets who and where (region,
category, disease, a place outside our regions, the year of leaving poverty); a calculation
(an amount, a request to calculate, or 「自己要出多少」 with no rule named and a bill in the
letter) also gets the setting, level, out-of-catalogue part and the bill: the amount of a
sentence that says money was spent (「总费用是两万块整」). The Rasa environment imports it too
(its dependencies: understanding/__init__.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from understanding.reader import Found, exit_year, read, topic_cues
from understanding.words import load_lexicon

# Above this many characters a message is condensed for the NLU.
NLU_CHARS = 160
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_WHO = ("region", "category", "disease", "place")
_BILL_FACTS = ("setting", "level", "out_of_catalogue")
_STRONG_SPENT = ("花了", "花费", "总费用", "一共", "总共", "住院费", "医药费", "单子上")
# A question naming one of these asks what the fund gives, not what the bill leaves to pay.
_FUND_TOPICS = (
    "medical_assistance",
    "poverty_fund",
    "critical_illness",
    "supplementary",
    "charity",
    "emergency_relief",
    "after_exit",
    "premium",
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _parts(text: str) -> list[str]:
    """Sentences, each cut at its spaces when the resident writes without punctuation."""
    parts: list[str] = []
    for sentence in sentences(text):
        pieces = [p for p in re.split(r"\s+", sentence) if p]
        parts += pieces if len(sentence) > 60 and len(pieces) > 2 else [sentence]
    return parts


def _asks(part: str) -> bool:
    lexicon = load_lexicon()
    return part.endswith(("？", "?")) or any(w in part for w in lexicon.cue("question_words"))


def _domain_weight(part: str) -> int:
    lexicon = load_lexicon()
    terms = sum(1 for term in lexicon.cue("domain_terms") if term in part)
    return len(topic_cues(part)) + min(terms, 3)


def questions(text: str) -> list[str]:
    """The letter's questions, in order. A part that only announces a question (「想问问」
    「我想问两个事」) is joined to the parts after it, up to the one that asks."""
    lexicon = load_lexicon()
    parts = _parts(text)
    found: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if any(w in part for w in lexicon.cue("asking")) and not _asks(part):
            joined = [part]
            for following in parts[i + 1 : i + 3]:
                joined.append(following)
                if _asks(following):
                    break
            if _asks(joined[-1]):
                found.append(" ".join(joined))
                i += len(joined)
                continue
        if _asks(part) and len(part) > 4:
            before = parts[i - 1] if i else ""
            if _is_lead_in(before, found):
                part = f"{before} {part}"  # 「还有就是这药是得自己去县里买 还是有人给送」
            found.append(part)
        i += 1
    return found


def _is_lead_in(part: str, found: list[str]) -> bool:
    """A short part that asks nothing itself and leads into the next (only in unpunctuated
    letters, whose parts are the resident's phrases)."""
    if not part or part.endswith(("。", "！", "？", "；", "!", "?", ";")):
        return False  # a whole sentence of its own
    return len(part) <= 16 and not _asks(part) and not any(part in q for q in found)


def _marked(question: str) -> bool:
    return any(word in question for word in load_lexicon().cue("asking"))


def _secondary(question: str) -> bool:
    return any(word in question for word in load_lexicon().cue("asking_more"))


def main_question(text: str) -> str:
    """The question the letter most wants answered: a request for a person, else of the
    questions after 「我想问问」 the one naming most of the domain (the last of equals), else
    of all questions, else the last question (「另外还想问…」 is never the main one)."""
    lexicon = load_lexicon()
    asked = questions(text)
    primary = [q for q in asked if not _secondary(q)] or asked
    for question in primary:
        if any(word in question for word in lexicon.cue("needs_person")):
            return question
    picks: tuple[Callable[[str], bool], ...] = (
        lambda q: _marked(q) and _domain_weight(q) > 0,
        lambda q: _domain_weight(q) > 0,
        lambda q: True,
    )
    for pick in picks:
        chosen = [q for q in primary if pick(q)]
        if chosen:
            # The one naming most of the domain; of equals, the last.
            return max(reversed(chosen), key=_domain_weight)
    parts = sentences(text)
    return parts[-1] if parts else text


def other_questions(text: str) -> list[str]:
    """The letter's other questions (at most three), main one excluded: those after it first
    (「一是…」 then 「二是…」), then those before it that name something of the domain or end
    in ？ (「俺俩都没啥收入」 before the question is no question to answer)."""
    main = main_question(text)
    asked = questions(text)
    at = asked.index(main) if main in asked else len(asked)
    ordered = asked[at + 1 :] + asked[:at]
    # 「另外还想问…」 announces the next question itself: it comes first.
    ordered = [q for q in ordered if _secondary(q)] + [q for q in ordered if not _secondary(q)]
    after = set(asked[at + 1 :])
    return [
        q
        for q in ordered
        if q in after or _domain_weight(q) > 0 or q.endswith(("？", "?")) or _secondary(q)
    ][:3]


def _bill(text: str) -> Found | None:
    """The amount of the last sentence that says money was spent (at least 100 yuan)."""
    for sentence in reversed(sentences(text)):
        if not any(word in sentence for word in _STRONG_SPENT):
            continue
        amount = next((f for f in read(sentence) if f.entity == "amount"), None)
        if amount is not None and float(amount.value) >= 100:
            return amount
    return None


def _is_calculation(question: str, found: list[Found], text: str) -> bool:
    lexicon = load_lexicon()
    if any(f.entity == "amount" for f in found):
        return True
    if any(word in question for word in lexicon.cue("calculate")):
        return True
    if any(t in _FUND_TOPICS for t in topic_cues(question)):
        return False  # 「报完自己付的那部分，医疗救助能再给多少」 asks about a fund
    return any(word in question for word in lexicon.cue("my_share")) and _bill(text) is not None


def condense(text: str, limit: int = NLU_CHARS) -> str:
    """At most about `limit` characters for the NLU: the facts it needs, then the main question."""
    if len(text) <= limit:
        return text
    question = main_question(text)[-(limit * 2 // 3) :]
    in_question = read(question)
    named = {f.entity for f in in_question}
    calculation = _is_calculation(question, in_question, text)
    kinds = (*_WHO, *_BILL_FACTS) if calculation else _WHO
    facts = [f for f in read(text) if f.entity in kinds and f.entity not in named and f.text]
    if "region" in named or any(f.entity == "region" for f in facts):
        facts = [f for f in facts if f.entity != "place"]
    words = [f.text for f in facts]
    year = exit_year(text)
    if year is not None and exit_year(question) is None:
        words.append(f"{year}年脱贫")  # 「2017年我们家就脱贫了」 told earlier in the story
    if calculation and "amount" not in named:
        bill = _bill(text)
        if bill is not None:
            words.append(f"花了{bill.text}")
    return (" ".join(words) + " " + question).strip() if words else question
