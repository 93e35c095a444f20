"""Long letters: a resident's story with the question at the end (issue kind 10).

The NLU is trained on short questions, so a letter is condensed for it: the last sentences (the
question is nearly always there) with, in front, the facts the whole letter names and the tail
does not repeat (region, category, setting, level, disease, found by understanding.reader).
The whole letter, ID numbers already replaced and phone numbers masked, travels in the
metadata as `letter`, so a handoff keeps it (actions/handoff.py).
"""

import re

from understanding.reader import read

# Above this many characters a message is condensed for the NLU.
NLU_CHARS = 160
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_FACTS = ("region", "category", "setting", "level", "disease")


def mask_phones(text: str) -> str:
    """13800001111 → 138****1111."""
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def condense(text: str, limit: int = NLU_CHARS) -> str:
    """At most about `limit` characters for the NLU: the letter's facts, then its last sentences."""
    if len(text) <= limit:
        return text
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    tail: list[str] = []
    for sentence in reversed(sentences):
        if tail and len(sentence) + sum(map(len, tail)) > limit * 2 // 3:
            break
        tail.insert(0, sentence)
    last = "".join(tail)[-(limit * 2 // 3) :]
    named = {f.entity for f in read(last)}
    facts = [f.text for f in read(text) if f.entity in _FACTS and f.entity not in named and f.text]
    return (" ".join(facts) + " " + last).strip() if facts else last
