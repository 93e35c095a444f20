"""Topic answers as data: policies/answers/<region>.yaml and national.yaml.

Each answer states only what its clause says and cites it; where a region's document is silent
the file says so and gives the national rule (国卫财务发〔2016〕26号) or points to 人工. The loader
is strict (duplicate keys, unknown fields, unknown clauses, a missing topic, an SMS-breaking
length are all PolicyErrors naming the file and path), because a wrong citation is worse than none.
"""

import functools
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from actions.answer_templates import render
from settlement.documents import (
    ChronicDiseaseTable,
    Document,
    Reference,
    RehabilitationTable,
    default_policies_dir,
)
from settlement.errors import PolicyError
from settlement.identifiers import Category, region_name
from settlement.policy import PolicySet, default_policies, load_policies
from settlement.yamlio import load_model

NATIONAL = "national"
NATIONAL_DOCUMENT = "national_2016"
# One SMS segment of Chinese is 70 characters; answers aim at two (140) and never pass ~three.
MAX_ANSWER_CHARS = 200
# A document this many years old may have been superseded: answers say where to check.
STALE_AFTER_YEARS = 3


class Topic(StrEnum):
    """The topics of docs/conversation.md; intent ask_<topic>, campaign topic, YAML key."""

    COVERAGE = "coverage"
    PREMIUM = "premium"
    DEDUCTIBLE = "deductible"
    CRITICAL_ILLNESS = "critical_illness"
    MEDICAL_ASSISTANCE = "medical_assistance"
    SUPPLEMENTARY = "supplementary"
    POVERTY_FUND = "poverty_fund"
    EMERGENCY_RELIEF = "emergency_relief"
    TREAT_FIRST = "treat_first"
    ONE_STOP = "one_stop"
    FAMILY_DOCTOR = "family_doctor"
    HEALTH_CHECK = "health_check"
    CHRONIC_DISEASE = "chronic_disease"
    MAJOR_DISEASES = "major_diseases"
    REHABILITATION = "rehabilitation"
    MENTAL_ILLNESS = "mental_illness"
    BRIGHT_PROJECT = "bright_project"
    WOMEN_CHILDREN = "women_children"
    AFTER_EXIT = "after_exit"
    CHARITY = "charity"
    # Answered by cue words only (no intent of their own): 报几成 / 封顶 questions.
    RATES = "rates"
    ANNUAL_CAP = "annual_cap"
    OVERVIEW = "overview"  # 「看病有啥优惠」: every benefit of the region in one answer


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PublishedList(_Strict):
    """A list the document refers to without printing it, with where it was published."""

    source: Text
    items: tuple[Text, ...] = Field(min_length=1)


class TopicEntry(_Strict):
    basis: Literal["region", "national", "none"]
    text: Text
    reference: Reference | None = None
    also: tuple[Reference, ...] = ()
    needs_region: bool | None = None  # national.yaml only: may we answer without a region?
    title: Text | None = None  # national.yaml only: the topic's Chinese name (settlement/topics.py)
    published_list: PublishedList | None = None


class Contact(_Strict):
    """Who takes over (转人工): the unit the document makes responsible. Never an invented phone."""

    unit: Text
    counter: Text | None = None
    reference: Reference
    phone: Text | None = None  # filled by the deployment, not by us


class Highlight(_Strict):
    """One line of a verified resident's benefits: the rule that matters most for them, with
    the clauses it comes from (printed as 「（五（三）5）」)."""

    text: Text
    references: tuple[Reference, ...] = Field(min_length=1)


class DisabilityRules(_Strict):
    """What the region's document gives disabled residents, by kind (Disability's values) and
    for rehabilitation; a region without them gets the national line."""

    child: Highlight | None = None
    severe: Highlight | None = None
    rehabilitation: Highlight | None = None


class AnswerFile(_Strict):
    region: Annotated[str, Field(pattern=r"^[a-z]+$")]  # national, or a region's key
    contact: Contact | None = None
    topics: dict[Topic, TopicEntry]
    # Regions only: the 现行政策 line per category (Category's values), and disability rules.
    highlights: dict[str, Highlight] = {}
    disability: DisabilityRules = DisabilityRules()


@dataclass(frozen=True)
class Answer:
    topic: Topic
    region: str | None  # the region's key; None: the national answer
    basis: str
    text: str  # rendered, without the citation
    reference: Reference | None
    also: tuple[Reference, ...]
    source_note: str | None  # for text that is not the document's words (a published list)


@dataclass(frozen=True)
class AnswerBook:
    regional: dict[str, dict[Topic, Answer]]
    national: dict[Topic, Answer]
    needs_region: dict[Topic, bool]
    contacts: dict[str, Contact]
    highlights: dict[str, dict[str, Highlight]]  # region → category → the 现行政策 line
    disability: dict[str, DisabilityRules]

    def answer(self, topic: Topic, region: str | None) -> Answer:
        return self.national[topic] if region is None else self.regional[region][topic]


def load_answers(policies_dir: Path | None = None, policies: PolicySet | None = None) -> AnswerBook:
    """Every answer file under policies/answers (one per region of `policies`, and national),
    checked against the documents and the region's own tables; PolicyError on any problem."""
    chosen = policies or (load_policies(policies_dir) if policies_dir else default_policies())
    base = policies_dir or default_policies_dir()
    answers_dir = base / "answers"
    national_file = _read(answers_dir / f"{NATIONAL}.yaml")
    national_context = _Context(chosen.documents, None, None)
    national = _answers(answers_dir / f"{NATIONAL}.yaml", national_file, None, national_context)
    regional: dict[str, dict[Topic, Answer]] = {}
    contacts: dict[str, Contact] = {}
    highlights: dict[str, dict[str, Highlight]] = {}
    disability: dict[str, DisabilityRules] = {}
    for region, policy in chosen.regions.items():
        path = answers_dir / f"{region}.yaml"
        file = _read(path)
        context = _Context(chosen.documents, policy.chronic_diseases, policy.rehabilitation)
        if file.contact is None:
            raise PolicyError(str(path), "contact", "a region needs a contact for 人工")
        _check_reference(path, "contact.reference", file.contact.reference, context, region)
        _check_highlights(path, file, context, region)
        regional[region] = _answers(path, file, region, context)
        contacts[region] = file.contact
        highlights[region] = dict(file.highlights)
        disability[region] = file.disability
    needs = {topic: bool(entry.needs_region) for topic, entry in national_file.topics.items()}
    return AnswerBook(regional, national, needs, contacts, highlights, disability)


@functools.cache
def default_answers() -> AnswerBook:
    """The repository's answers, loaded once on first use (not at import)."""
    return load_answers()


def default_documents() -> dict[str, Document]:
    """Every document of policies/documents, by id (loaded once, with the rules)."""
    return default_policies().documents


def chronic_table(region: str | None) -> ChronicDiseaseTable | None:
    """The region's table of special chronic diseases with annual caps, if its rules name one."""
    if region is None:
        return None
    return default_policies()[region].chronic_diseases


def chronic_list_name(region: str, table: ChronicDiseaseTable) -> str:
    """「<region name><N>种特殊慢性病名单」: the region's full name and the table's size."""
    return f"{region_name(region)}{len(table.diseases)}种特殊慢性病名单"


def highlight_text(highlight: Highlight, documents: dict[str, Document] | None = None) -> str:
    """「住院个人只付实际花销的5%（五（三）5）」: the text and its clause numbers."""
    docs = documents if documents is not None else default_documents()
    clauses = "、".join(docs[r.document].clause(r.clause).number for r in highlight.references)
    return f"{highlight.text}（{clauses}）"


def citation(reference: Reference, documents: dict[str, Document]) -> str:
    """「2017年《<title>》五（三）1」: the document's year, title and clause, never a file."""
    document = documents[reference.document]
    return f"{document.year}年《{document.title}》{document.clause(reference.clause).number}"


INSURANCE_OFFICE = "当地医保经办机构"
HEALTH_OFFICE = "当地卫生健康部门"
# Services run by health authorities, not paid by the insurance: who knows today's rule.
HEALTH_SERVICE_TOPICS = frozenset(
    {
        Topic.FAMILY_DOCTOR,
        Topic.HEALTH_CHECK,
        Topic.MENTAL_ILLNESS,
        Topic.WOMEN_CHILDREN,
        Topic.MAJOR_DISEASES,
        Topic.BRIGHT_PROJECT,
    }
)


def office_for(topic: Topic | None) -> str:
    """Where to ask for the rule in force today: the health authority for a health service
    (family doctors, health checks, screening, treatment programmes), else the insurance
    office."""
    return HEALTH_OFFICE if topic in HEALTH_SERVICE_TOPICS else INSURANCE_OFFICE


def stale_note(
    document: Document, today: date | None = None, office: str = INSURANCE_OFFICE
) -> str | None:
    """Where a rule may have changed since: for a document STALE_AFTER_YEARS old or more."""
    year = (today or date.today()).year
    if year - document.year < STALE_AFTER_YEARS:
        return None
    return f"这是{document.year}年的文件，现行规定以{office}为准。"


def format_answer(
    answer: Answer, documents: dict[str, Document] | None = None, today: date | None = None
) -> str:
    """The reply: the answer, its clause (with the document's year) in brackets, the source of
    any list, and for an old document where to check the rule in force today."""
    docs = documents if documents is not None else default_documents()
    text = answer.text
    if answer.reference is not None:
        text += f"（{citation(answer.reference, docs)}）"
    if answer.source_note:
        text += f"（{answer.source_note}）"
    if "为准" in answer.text:
        return text
    basis = _basis_document(answer, docs)
    note = stale_note(basis, today, office_for(answer.topic)) if basis is not None else None
    ended = transition_end(answer.region, today)
    if note and ended is not None:
        # The document's own transition period has run out, which says more than its age.
        note = note.replace("的文件，", f"的文件，文件定的过渡期已于{ended}年底结束，", 1)
    return text + note if note else text


def transition_end(region: str | None, today: date | None = None) -> int | None:
    """The last year of a region's transition period when it is over by `today`, else None.

    From the rules' note `transition_over` (policies/rules/<region>.yaml, its `on_or_after`):
    """
    if region is None:
        return None
    policy = default_policies()[region]
    over = next((n for n in policy.notes if n.id == "transition_over"), None)
    if over is None or over.when.on_or_after is None:
        return None
    if (today or date.today()) < over.when.on_or_after:
        return None
    return over.when.on_or_after.year - 1


def _basis_document(answer: Answer, documents: dict[str, Document]) -> Document | None:
    """The cited document, or for an answer citing none the region's own (its date basis)."""
    if answer.reference is not None:
        return documents[answer.reference.document]
    if answer.region is None:
        return None
    own = [d for d in documents.values() if d.region == answer.region]
    return max(own, key=lambda d: d.year) if own else None


@dataclass(frozen=True)
class _Context:
    documents: dict[str, Document]
    chronic: ChronicDiseaseTable | None
    rehabilitation: RehabilitationTable | None


def _check_highlights(path: Path, file: AnswerFile, context: _Context, region: str) -> None:
    """Categories are Category's values; every clause is in the region's own document."""
    known = {category.value for category in Category}
    entries: list[tuple[str, str | None, Highlight]] = [
        (f"highlights.{key}", key, h) for key, h in file.highlights.items()
    ]
    for kind in ("child", "severe", "rehabilitation"):
        rule = getattr(file.disability, kind)
        if rule is not None:
            entries.append((f"disability.{kind}", None, rule))
    for where, category, highlight in entries:
        if category is not None and category not in known:
            raise PolicyError(str(path), where, f"unknown category {category!r}")
        for index, reference in enumerate(highlight.references):
            _check_reference(path, f"{where}.references[{index}]", reference, context, region)


def _read(path: Path) -> AnswerFile:
    if not path.is_file():
        raise PolicyError(str(path), "", "missing: every region needs its answers file")
    file = load_model(AnswerFile, path)
    expected = path.stem
    if file.region != expected:
        raise PolicyError(str(path), "region", f"must be {expected!r}, the file's name")
    missing = [topic.value for topic in Topic if topic not in file.topics]
    if missing:
        raise PolicyError(str(path), "topics", f"missing topics: {', '.join(missing)}")
    return file


def _answers(
    path: Path, file: AnswerFile, region: str | None, context: _Context
) -> dict[Topic, Answer]:
    answers: dict[Topic, Answer] = {}
    for topic, entry in file.topics.items():
        where = f"topics.{topic.value}"
        _check_entry(path, where, entry, region, context)
        try:
            text = render(entry.text, context.chronic, context.rehabilitation, entry.published_list)
        except ValueError as exc:
            raise PolicyError(str(path), f"{where}.text", str(exc)) from None
        if len(text) > MAX_ANSWER_CHARS:
            reason = f"{len(text)} characters; an SMS answer stays within {MAX_ANSWER_CHARS}"
            raise PolicyError(str(path), f"{where}.text", reason)
        note = entry.published_list.source if entry.published_list else None
        answers[topic] = Answer(topic, region, entry.basis, text, entry.reference, entry.also, note)
    return answers


def _check_entry(
    path: Path, where: str, entry: TopicEntry, region: str | None, context: _Context
) -> None:
    file = str(path)
    if region is None and entry.needs_region is None:
        raise PolicyError(file, f"{where}.needs_region", "required in national.yaml")
    if region is not None and entry.needs_region is not None:
        raise PolicyError(file, f"{where}.needs_region", "only national.yaml says this")
    if region is None and entry.title is None:
        raise PolicyError(file, f"{where}.title", "required in national.yaml")
    if region is not None and entry.title is not None:
        raise PolicyError(file, f"{where}.title", "only national.yaml names a topic")
    if entry.basis == "none":
        if entry.reference is not None or entry.also:
            raise PolicyError(file, f"{where}.reference", "basis none cites no clause")
        if "人工" not in entry.text:
            raise PolicyError(file, f"{where}.text", "an answer without a clause points to 人工")
        return
    if entry.reference is None:
        raise PolicyError(file, f"{where}.reference", f"basis {entry.basis} needs a clause")
    if region is None and entry.basis == "region":
        raise PolicyError(file, f"{where}.basis", "national.yaml has no region basis")
    for index, reference in enumerate((entry.reference, *entry.also)):
        at = f"{where}.reference" if index == 0 else f"{where}.also[{index - 1}]"
        wanted = region if entry.basis == "region" else None
        _check_reference(path, at, reference, context, wanted)


def _check_reference(
    path: Path, where: str, reference: Reference, context: _Context, region: str | None
) -> None:
    """The clause exists, in the region's own document (or the national one when region None)."""
    document = context.documents.get(reference.document)
    if document is None:
        raise PolicyError(str(path), f"{where}.document", f"no document {reference.document!r}")
    expected = region if region is not None else NATIONAL
    if document.region != expected:
        reason = f"{reference.document} is a {document.region} document, expected {expected}"
        raise PolicyError(str(path), f"{where}.document", reason)
    try:
        document.clause(reference.clause)
    except KeyError as exc:
        raise PolicyError(str(path), f"{where}.clause", str(exc.args[0])) from None
