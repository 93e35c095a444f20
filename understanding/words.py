"""The reader's vocabulary, loaded from policies/words/*.yaml and the annex tables.

`load_lexicon(policies_dir)` → Lexicon. Every region file (`region`, `names`, `places`) adds its
words; common.yaml holds settings, levels, categories, diseases outside the tables, places
outside our regions and the cue lists; policies/tables/*.yaml rows with `diseases` add each
disease's name and aliases (value: the table's name). Raises LexiconError on a malformed file.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The repository's policies/, or $HEALTHAID_POLICIES (as settlement/regions.py; this package
# also runs in Rasa's environment, which does not install settlement).
POLICIES = Path(
    os.environ.get("HEALTHAID_POLICIES") or Path(__file__).resolve().parent.parent / "policies"
)
COUNTY_SUFFIXES = ("县", "市", "区")
ENTITY_SECTIONS = {"settings": "setting", "levels": "level", "categories": "category"}
CUE_LISTS = (
    "domain_terms",
    "calculate",
    "spent",
    "my_share",
    "amount_words",
    "corrections",
    "third_person",
    "about_them",
    "first_person",
    "about_me",
    "out_of_catalogue",
    "none_out_of_catalogue",
    "elsewhere",
    "asking",
    "asking_more",
    "question_words",
    "needs_person",
    "generic_words",
    "feelings",
    "despair",
    "closings",
    "leaving",
    "stop_calculating",
)


class LexiconError(ValueError):
    """A words file that does not have the expected shape (file and key named)."""


@dataclass(frozen=True)
class Word:
    text: str
    entity: str  # region | setting | level | category | disease | place
    value: str  # the contract id (guyang, inpatient…), a table's disease name, or the text


@dataclass(frozen=True)
class Lexicon:
    words: tuple[Word, ...]  # longest first
    regions: tuple[str, ...]
    cues: dict[str, tuple[str, ...]]
    topics: tuple[tuple[str, tuple[str, ...]], ...]  # in priority order
    document_words: dict[str, str] = field(default_factory=dict)  # resident's → document's
    # The regions' own names and their counties, county-level cities and districts (places
    # ending in 县/市/区, and the same without the ending), not towns: what a misspelling is
    # matched against (sounds.py).
    region_names: tuple[Word, ...] = ()

    def cue(self, name: str) -> tuple[str, ...]:
        """The words of one cue list of common.yaml; KeyError for a list that is not there."""
        return self.cues[name]


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LexiconError(f"{where}: expected a list of words")
    return list(value)


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LexiconError(f"{path.name}: expected a mapping")
    return data


def _region_words(directory: Path) -> tuple[list[Word], list[str], list[Word]]:
    """(every name and place as a region word, the region ids, the names and county-level
    places only)."""
    words: list[Word] = []
    regions: list[str] = []
    names: list[Word] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "common.yaml":
            continue
        data = _read(path)
        region = data.get("region")
        if not isinstance(region, str) or region != path.stem:
            raise LexiconError(f"{path.name}: `region` must be {path.stem!r}")
        regions.append(region)
        for key in ("names", "places"):
            read = [
                Word(w, "region", region) for w in _strings(data.get(key), f"{path.name} {key}")
            ]
            words += read
            if key == "names":
                names += read
            else:
                # A county-level place, with its ending (如东县) or without it when the list
                # also has it with one (如东): residents drop 县/市/区 as often as not.
                texts = {w.text for w in read}
                names += [
                    w
                    for w in read
                    if w.text.endswith(COUNTY_SUFFIXES)
                    or any(w.text + end in texts for end in COUNTY_SUFFIXES)
                ]
    owners: dict[str, str] = {}
    for word in words:
        other = owners.setdefault(word.text, word.value)
        if other != word.value:
            # 「我是金山镇的」 must mean one region: a place two regions name is a mistake.
            raise LexiconError(f"“{word.text}” is in both {other}.yaml and {word.value}.yaml")
    return words, regions, names


def _table_diseases(directory: Path) -> list[Word]:
    words: list[Word] = []
    for path in sorted(directory.glob("*.yaml")):
        rows = _read(path).get("diseases") or []
        for row in rows:
            name = row.get("name")
            if not isinstance(name, str):
                raise LexiconError(f"{path.name}: a disease row without a name")
            for text in (name, *(row.get("aliases") or ())):
                words.append(Word(text, "disease", name))
    return words


@functools.lru_cache(maxsize=4)
def load_lexicon(policies_dir: Path = POLICIES) -> Lexicon:
    """The whole vocabulary; cached per directory (the files do not change while running)."""
    directory = policies_dir / "words"
    words, regions, region_names = _region_words(directory)
    common = _read(directory / "common.yaml")
    for section, entity in ENTITY_SECTIONS.items():
        table = common.get(section)
        if not isinstance(table, dict):
            raise LexiconError(f"common.yaml: `{section}` must map ids to words")
        for value, spellings in table.items():
            words += [
                Word(w, entity, str(value)) for w in _strings(spellings, f"{section}.{value}")
            ]
    words += _table_diseases(policies_dir / "tables")
    words += [Word(w, "disease", w) for w in _strings(common.get("diseases"), "diseases")]
    words += [Word(w, "place", w) for w in _strings(common.get("elsewhere"), "elsewhere")]
    cues = {name: tuple(_strings(common.get(name), name)) for name in CUE_LISTS}
    synonyms = common.get("document_words") or {}
    if not isinstance(synonyms, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in synonyms.items()
    ):
        raise LexiconError("common.yaml: `document_words` must map words to words")
    topics_raw = common.get("topics")
    if not isinstance(topics_raw, dict):
        raise LexiconError("common.yaml: `topics` must map topics to cue words")
    topics = tuple((str(t), tuple(_strings(c, f"topics.{t}"))) for t, c in topics_raw.items())
    # Longest first; at equal length the earlier entry (a region's own name) wins.
    unique: dict[str, Word] = {}
    for word in words:
        unique.setdefault(word.text, word)
    ordered = sorted(unique.values(), key=lambda w: -len(w.text))
    return Lexicon(
        tuple(ordered), tuple(regions), cues, topics, dict(synonyms), tuple(region_names)
    )
