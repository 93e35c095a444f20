"""Search every clause of the five documents (jieba tokens + BM25), for 「我有个问题…」 fallbacks.

The index is built once, on first use, and cached: building it needs jieba's dictionary (~1 s),
which must not happen when the action server imports the package. A hit is quoted only when it
is confident: a clear absolute score and a margin over the next clause, so a vague question gets
the polite fallback instead of a random clause.
"""

import functools
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import jieba
from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]  # ships no py.typed

from actions.answers import default_documents, stale_note
from actions.vocabulary import to_region
from settlement.documents import Clause, Document
from settlement.identifiers import Region
from understanding.words import load_lexicon

# Calibrated on the documents (tests/actions/test_clause_search.py): questions that name a
# policy score 9 and more; small talk sharing a common word (医院, 养老) stays near 5.
MIN_SCORE = 7.0
MIN_MARGIN = 1.15  # the best hit must beat the next clause by 15 %
# BM25 length normalisation: clauses run from 20 to 800 characters, and the long national
# clauses are the reference, so they are penalised less than the usual b=0.75 would.
BM25_B = 0.5
# The resident's own region first, national rules next, other regions' documents last; with
# no region the national guideline is the reference every region builds on.
OWN_REGION_BOOST = 1.3
OTHER_REGION_FACTOR = 0.6
NATIONAL_WITHOUT_REGION = 1.5

_USER_DICT = Path(__file__).resolve().parent / "data" / "policy_terms.txt"
_NLU_DICT = Path(__file__).resolve().parent.parent / "data" / "nlu" / "jieba"
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
# Words that carry no policy meaning; matching them must not make a clause look relevant.
_STOPWORD_TEXT = (
    "的 了 吗 呢 啊 吧 呀 么 是 我 你 他 她 们 在 有 和 与 及 或 等 要 也 就 都 还 能 会 对 "
    "怎么 怎么样 什么 咋 多少 哪些 哪里 如何 可以 一下 这个 那个 今天 请问 问 想 知道 为 "
    "由 按 以 将 其 该 之 中 上 下 个 人"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Hit:
    clause: Clause
    document: Document
    score: float


@dataclass(frozen=True)
class _Index:
    bm25: BM25Okapi
    entries: tuple[tuple[Document, Clause], ...]


def tokens(text: str) -> list[str]:
    """Search tokens: jieba's search mode, without punctuation, spaces and stopwords."""
    _ensure_dictionary()
    return [
        token
        for token in jieba.lcut_for_search(text)
        if _WORD.search(token) and token not in _STOPWORDS
    ]


@functools.cache
def _ensure_dictionary() -> None:
    # jieba logs its dictionary build at DEBUG to stderr; keep the action server's log clean.
    jieba.setLogLevel(logging.WARNING)
    # The NLU dictionary (data/nlu/jieba/), when present, knows the residents' spellings too.
    extra = sorted(_NLU_DICT.glob("*.txt")) if _NLU_DICT.is_dir() else []
    for path in (_USER_DICT, *extra):
        # Opened here: jieba leaves a path it opens itself unclosed (a ResourceWarning).
        with path.open("rb") as file:
            jieba.load_userdict(file)


@functools.cache
def _index() -> _Index:
    entries = tuple(
        (document, clause)
        for document in default_documents().values()
        for clause in document.clauses
    )
    corpus = [tokens(f"{clause.title} {clause.title} {clause.text}") for _, clause in entries]
    return _Index(BM25Okapi(corpus, b=BM25_B), entries)


@functools.cache
def _policy_terms() -> frozenset[str]:
    """The user dictionary's terms: a quoted clause must share one of them with the question."""
    lines = _USER_DICT.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split()[0] for line in lines if line.strip())


def search(text: str, region: Region | None = None, limit: int = 5) -> list[Hit]:
    """Clauses by relevance; a region named in the text counts as the resident's region."""
    query = tokens(text)
    if not query:
        return []
    region = to_region(text) or region
    index = _index()
    scores = index.bm25.get_scores(query)
    hits = [
        Hit(clause, document, float(score) * _region_factor(document, region))
        for (document, clause), score in zip(index.entries, scores, strict=True)
        if score > 0
    ]
    hits.sort(key=lambda hit: hit.score, reverse=True)
    return hits[:limit]


def _region_factor(document: Document, region: Region | None) -> float:
    if document.region == "national":
        return NATIONAL_WITHOUT_REGION if region is None else 1.0
    if region is None:
        return 1.0
    return OWN_REGION_BOOST if document.region == region.value else OTHER_REGION_FACTOR


def confident(hits: list[Hit], question: str) -> Hit | None:
    """The best hit when it is clearly relevant and clearly ahead of the next one.

    Relevant also means sharing a policy term with the question: a high score earned by
    ordinary words (养老, 医院) is an accident of the corpus, not an answer.
    """
    if not hits or hits[0].score < MIN_SCORE:
        return None
    if len(hits) > 1 and hits[0].score < hits[1].score * MIN_MARGIN:
        return None
    top = hits[0]
    shared = {t for t in tokens(question) if t in _policy_terms()}
    if not any(term in top.clause.title + top.clause.text for term in shared):
        return None
    return top


_RESPONSIBLE = re.compile(r"（(?:责任单位|[^（）]*负责)[^（）]*）")
_SENTENCE = re.compile(r"[^。；]+[。；]?")


def excerpt(hit: Hit, question: str, limit: int = 90) -> str:
    """The clause's most relevant sentences, without the list of responsible departments."""
    text = _RESPONSIBLE.sub("", hit.clause.text).replace("\n", "")
    wanted = set(tokens(question))
    sentences = [s for s in _SENTENCE.findall(text) if s.strip()]
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: -sum(1 for token in wanted if token in sentences[i]),
    )
    chosen: list[int] = []
    length = 0
    for i in ranked:
        if length + len(sentences[i]) > limit and chosen:
            break
        chosen.append(i)
        length += len(sentences[i])
    quoted = "".join(sentences[i] for i in sorted(chosen))
    if len(quoted) > limit:
        quoted = quoted[: limit - 1] + "…"
    return quoted


def quote(hit: Hit, question: str) -> str:
    """根据《…》五（四）3：… — the citation a resident can show at the hospital window."""
    return f"根据《{hit.document.title}》{hit.clause.number}：{excerpt(hit, question)}"


# ---- one sentence that answers a detail ---------------------------------------------------
# A topic's answer summarises its clause; a resident often asks a detail the summary leaves
# out (「那个基金一共有多少钱」「慢病去哪鉴定」「过度治疗那钱谁出」). `detail` finds the sentence
# of the region's document (or the national guideline) that shares the most informative
# character pairs with the question — pairs the answer already holds do not count — so a
# question the answer covers adds nothing. Character pairs, not jieba words: residents'
# spellings cut differently (「就诊率要」), pairs still meet the document's 「就诊率达到」.
DETAIL_MIN_SCORE = 7.5  # calibrated in tests/actions/test_clause_search.py: hits 8–31, misses ≤ 5.5
DETAIL_MARGIN = 1.1
EXTRA_MIN_SCORE = 5.0  # after a topic's answer: one rare shared word the answer lacks is enough
MAPPED_WEIGHT = 1.5  # a whole document word the resident's phrase maps to (北京 → 县外), per pair
DETAIL_CHARS = 90
NATIONAL_WHEN_REGIONAL = 0.8
_CJK_OR_NUMBER = re.compile(r"[\u4e00-\u9fff]+|\d+(?:\.\d+)?%?")
_DOC_SENTENCE = re.compile(r"[^。；]+[。；]?")


@dataclass(frozen=True)
class Sentence:
    document: Document
    clause: Clause
    text: str
    pairs: frozenset[str]


def pairs(text: str) -> frozenset[str]:
    """Character pairs of the Chinese runs, and whole numbers (2020, 95%)."""
    found: set[str] = set()
    for run in _CJK_OR_NUMBER.findall(text):
        if run[0].isdigit():
            found.add(run)
        else:
            found |= {run[i : i + 2] for i in range(len(run) - 1)}
    return frozenset(found)


@functools.cache
def _sentences(region: Region | None) -> tuple[tuple[Sentence, ...], dict[str, float]]:
    """The sentences of the region's document and the national guideline, with pair IDFs."""
    wanted = {"national", region.value if region else "national"}
    sentences = tuple(
        Sentence(document, clause, text.strip(), pairs(text))
        for document in default_documents().values()
        if document.region in wanted
        for clause in document.clauses
        for text in _DOC_SENTENCE.findall(_RESPONSIBLE.sub("", clause.text).replace("\n", ""))
        if len(text.strip()) > 4
    )
    counts: dict[str, int] = {}
    for sentence in sentences:
        for pair in sentence.pairs:
            counts[pair] = counts.get(pair, 0) + 1
    idf = {pair: math.log(len(sentences) / n) for pair, n in counts.items()}
    return sentences, idf


def _question_pairs(question: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The question's own pairs, and the document words its phrases map to (北京 → 县外)."""
    lexicon = load_lexicon()
    text, mapped = question, []
    for said, written in lexicon.document_words.items():
        if said in text:
            mapped.append(written)
    names = [w.text for w in lexicon.words if w.entity == "region"]
    for word in sorted((*names, *lexicon.cue("generic_words")), key=len, reverse=True):
        text = text.replace(word, " ")
    return pairs(text), tuple(mapped)


def detail(
    question: str, region: Region | None, answer: str = "", min_score: float = DETAIL_MIN_SCORE
) -> str | None:
    """「根据2017年《…》五（三）5：…共计1045万…」 — the sentence answering what `answer` leaves out.

    Scores each sentence by the IDF of the character pairs it shares with the question and
    `answer` lacks, plus, for each document word the question's phrases map to that the
    sentence holds whole, MAPPED_WEIGHT times its pairs' IDF; returns the best when it scores
    `min_score` or more (on its own also sharing at least two things), beats the best sentence
    of another clause by DETAIL_MARGIN and is not already in the answer; else None. After a
    topic's answer the caller passes EXTRA_MIN_SCORE (one rare shared pair is enough).
    """
    sentences, idf = _sentences(region)
    asked, mapped = _question_pairs(question)
    said = pairs(answer)
    wanted = asked - said
    words = tuple(w for w in mapped if w not in answer)
    if not wanted and not words:
        return None

    def shared(sentence: Sentence) -> tuple[float, int]:
        own = wanted & sentence.pairs
        held = [w for w in words if w in sentence.text]
        value = sum(idf[p] for p in own) + MAPPED_WEIGHT * sum(
            idf.get(p, 0.0) for w in held for p in pairs(w)
        )
        return value * _own_first(sentence.document, region), len(own) + len(held)

    scored = sorted(((shared(s), i) for i, s in enumerate(sentences)), reverse=True)
    (best_score, things), best = scored[0]
    top = sentences[best]
    if best_score < min_score or top.text.rstrip("。；") in answer:
        return None
    if min_score >= DETAIL_MIN_SCORE and things < 2:
        return None  # on its own, a sentence must share more than one thing with the question
    shared_pairs = wanted & top.pairs
    if things == 1 and shared_pairs and not _is_word(next(iter(shared_pairs))):
        return None  # one pair across two words (「县医」 of 县医院) is no evidence
    runner_up = next(
        (value for (value, _), i in scored[1:] if sentences[i].clause != top.clause), 0.0
    )
    if best_score < runner_up * DETAIL_MARGIN:
        return None
    where = f"{top.document.year}年《{top.document.title}》{top.clause.number}"
    quoted = f"根据{where}：{_window(top.text, wanted | pairs(' '.join(words)))}"
    return quoted + (stale_note(top.document) or "")


def _is_word(pair: str) -> bool:
    """Whether a character pair is a word of jieba's dictionary (or a number)."""
    _ensure_dictionary()
    return pair[0].isdigit() or bool(jieba.dt.FREQ.get(pair))


def _own_first(document: Document, region: Region | None) -> float:
    """With a region known, its own document before the national guideline."""
    return NATIONAL_WHEN_REGIONAL if region is not None and document.region == "national" else 1.0


def _window(sentence: str, wanted: frozenset[str]) -> str:
    """A long sentence cut to DETAIL_CHARS from just before its first phrase holding a wanted
    pair."""
    if len(sentence) <= DETAIL_CHARS:
        return sentence
    phrases = re.findall(r"[^，,]+[，,]?", sentence)
    # From the phrase before the first that holds a wanted pair: 「到2020年使县域内就诊率提高到
    # 90%左右，基本实现大病不出县」 — the figure often sits just before the words asked about.
    first = max(0, next((i for i, p in enumerate(phrases) if pairs(p) & wanted), 0) - 1)
    text = ""
    for phrase in phrases[first:]:
        if text and len(text) + len(phrase) > DETAIL_CHARS:
            break
        text += phrase
    text = text[:DETAIL_CHARS]
    return text if text.endswith(("。", "；")) else text.rstrip("，,") + "…"
