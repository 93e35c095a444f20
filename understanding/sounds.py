"""Region names typed with a wrong character of the same sound: 「固羊」 for 固阳, 「容昌」 for
荣昌, 「严城」 for 盐城, 「南同」 for 南通.

Residents type with pinyin input methods, which offer every character of a syllable; picking
the neighbour is the commonest misspelling of a place name. `sound_alike_regions(text, lexicon,
taken)` finds, where the exact scan found no region, a stretch of the message that

- has as many characters as one of a region's names, or one of its counties, county-level
  cities and districts (policies/words/<region>.yaml; towns are too many and too short: 「金单」
  would be 金山, 「呼包」 河包),
- sounds the same, tones aside, character by character: any reading of a typed polyphonic
  character (pypinyin's heteronyms, so 「荣长」 may be rong chang) against the usual reading of
  the name's (so 「内」, na in old texts, is not 南),
- shares at least one character with it in the same position, not counting a 县/市/区 ending
  (the input method's slip is one character; two wrong ones are more often another word),
- and is not itself a word of jieba's general dictionary, nor cuts through one (「男童」
  sounds like 南通, 「冗长」 like 荣昌, 「严惩」 like 盐城: real words, not misspellings;
  「不吃东西」 holds 吃东 ~ 启东 across 不吃/东西).

Returns Found spans (entity "region", value the region id, text as typed), left to right,
not overlapping each other or the `taken` spans. Needs pypinyin and jieba (both environments
install them: pyproject.toml, bot/requirements.txt).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import jieba
from pypinyin import Style, pinyin

from understanding.words import COUNTY_SUFFIXES, Lexicon, Word

# (start, end) character ranges already read as something else.
Span = tuple[int, int]


@functools.lru_cache(maxsize=4096)
def _readings(character: str, every: bool = True) -> frozenset[str]:
    """The toneless readings of one Chinese character (every one, or the usual one); empty
    for anything else."""
    if not "\u4e00" <= character <= "\u9fff":
        return frozenset()
    readings = pinyin(character, style=Style.NORMAL, heteronym=every)[0]
    return frozenset(readings if every else readings[:1])


@functools.lru_cache(maxsize=4)
def _names_by_length(words: tuple[Word, ...]) -> dict[int, tuple[tuple[str, str], ...]]:
    """{length: ((name, region id), …)} for every name of `words` (a Lexicon's region_names,
    hashable where the Lexicon is not) of two or more Chinese characters."""
    table: dict[int, list[tuple[str, str]]] = {}
    for word in words:
        if len(word.text) >= 2 and all(map(_readings, word.text)):
            table.setdefault(len(word.text), []).append((word.text, word.value))
    return {length: tuple(names) for length, names in table.items()}


@functools.cache
def _general_words() -> dict[str, int]:
    jieba.setLogLevel(60)  # its "Building prefix dict…" lines are not ours to print
    jieba.initialize()
    frequencies: dict[str, int] = jieba.dt.FREQ
    return frequencies


def _sounds_like(typed: str, name: str) -> bool:
    body = len(name) - 1 if name.endswith(COUNTY_SUFFIXES) else len(name)
    if typed == name or not any(a == b for a, b in zip(typed[:body], name[:body], strict=True)):
        return False
    return all(_readings(a) & _readings(b, False) for a, b in zip(typed, name, strict=True))


def _in_a_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a word of jieba's general dictionary (「男童」) or cuts through
    one (「吃东」 in 「不吃东西」, which jieba's dictionary cuts 不吃/东西)."""
    words = _general_words()
    if words.get(text[start:end], 0) > 0:
        return True
    for word, word_start, word_end in jieba.tokenize(text, HMM=False):
        if len(word) < 2 or words.get(word, 0) <= 0:
            continue
        overlaps = word_start < end and start < word_end
        inside = start <= word_start and word_end <= end
        if overlaps and not inside:
            return True
    return False


def _overlaps(start: int, end: int, taken: Iterable[Span]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in taken)


def sound_alike_regions(
    text: str, lexicon: Lexicon, taken: Iterable[Span] = ()
) -> list[tuple[int, int, str]]:
    """[(start, end, region id)] for each misspelt region name in `text` (see the module)."""
    names = _names_by_length(lexicon.region_names)
    blocked = list(taken)
    found: list[tuple[int, int, str]] = []
    for length in sorted(names, reverse=True):  # 「包头市固羊」 before 「固羊」
        for start in range(len(text) - length + 1):
            end = start + length
            typed = text[start:end]
            if _overlaps(start, end, blocked):
                continue
            for name, region in names[length]:
                if _sounds_like(typed, name) and not _in_a_word(text, start, end):
                    found.append((start, end, region))
                    blocked.append((start, end))
                    break
    return sorted(found)
