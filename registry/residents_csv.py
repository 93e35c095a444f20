"""Reading and checking the residents CSV (居民名单) that cadres export from their ledgers.

Pure: bytes in, checked rows out, no database. Every reason is short Chinese text a village
cadre can act on; line 1 is the header, and a row's line is where it starts in the file.
"""

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from registry import idnumber
from settlement.identifiers import Category, Disability, Region

HEADER = (
    "id_number",
    "name",
    "phone",
    "region",
    "category",
    "village",
    "chronic_diseases",
    "disability",
    "family_doctor",
    "exit_year",
)
# The optional last column: 同意接收通知 (consent to broadcasts), under either name.
CONSENT_COLUMNS = ("consent", "同意接收通知")
CONSENT_YES = frozenset({"是", "同意", "yes", "y", "true", "1"})
CONSENT_NO = frozenset({"否", "不同意", "no", "n", "false", "0", ""})
# 精准扶贫 registration (建档立卡) began in 2014, so nobody exited poverty before then.
FIRST_EXIT_YEAR = 2014
TEXT_LIMIT = 64  # the String(64) columns of registry.models
UTF8_BOM = b"\xef\xbb\xbf"
# Cadres type either separator, and the full-width one comes with a Chinese input method.
_LIST_SEPARATOR = re.compile(r"[;；]")
_MOBILE = re.compile(r"1\d{10}")

# (region, disease) -> None when the disease is recognised there, else the reason.
DiseaseValidator = Callable[[str, str], str | None]
E = TypeVar("E", bound=StrEnum)


class CsvFileError(Exception):
    """The file as a whole cannot be read; no row of it is imported."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"第{line}行：{reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class ResidentRecord:
    """One row that passed every check, in the registry's terms."""

    id_number: str
    name: str
    phones: tuple[str, ...]
    region: Region
    category: Category
    village: str
    diseases: tuple[str, ...]
    disability: Disability
    family_doctor: str | None
    exit_year: int | None
    consent: bool | None = None  # None: the file has no consent column (keep what is recorded)


@dataclass
class CsvRow:
    line: int
    cells: list[str]
    columns: tuple[str, ...] = HEADER  # the file's header: HEADER, maybe with a consent column
    reasons: list[str] = field(default_factory=list)
    record: ResidentRecord | None = None  # set when the row's own checks pass

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.reasons

    @property
    def message(self) -> str:
        return f"第{self.line}行：" + "；".join(self.reasons)


def read_rows(data: bytes) -> list[CsvRow]:
    """Decode the file, check its header and split it into rows; blank rows are dropped.

    The header is HEADER, optionally followed by one consent column (`consent` or
    `同意接收通知`)."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise CsvFileError(1, "文件为空")
        columns = tuple(header)
        if columns[: len(HEADER)] != HEADER or columns[len(HEADER) :] not in {
            (),
            *((name,) for name in CONSENT_COLUMNS),
        }:
            raise CsvFileError(
                1, "表头应为 " + ",".join(HEADER) + "（最后可加一列 consent 或 同意接收通知）"
            )
        rows: list[CsvRow] = []
        line = reader.line_num + 1
        for cells in reader:
            # Spreadsheets leave rows of bare commas at the end; they are not residents.
            if any(cell.strip() for cell in cells):
                rows.append(CsvRow(line, cells, columns))
            line = reader.line_num + 1
    except csv.Error as error:
        raise CsvFileError(reader.line_num, f"CSV格式错误（{error}）") from error
    return rows


def _decode(data: bytes) -> str:
    data = data.removeprefix(UTF8_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        # Excel on a Chinese Windows saves "CSV" as GBK, the usual cause.
        raise CsvFileError(
            line, "文件不是UTF-8编码（请在Excel中另存为“CSV UTF-8（逗号分隔）”）"
        ) from error


def check_row(
    row: CsvRow, *, current_year: int, disease_validator: DiseaseValidator | None = None
) -> None:
    """Record every problem of the row on its own; build its record when there is none."""
    if len(row.cells) != len(row.columns):
        row.reasons.append(f"应有{len(row.columns)}列，实际{len(row.cells)}列")
        return
    cell = dict(zip(row.columns, (value.strip() for value in row.cells), strict=True))
    reasons = row.reasons
    id_number = idnumber.normalize(cell["id_number"])
    _note(reasons, "身份证号为空" if not id_number else idnumber.explain_invalid(id_number))
    if not cell["name"]:
        reasons.append("姓名为空")
    phones = _phones(cell["phone"], reasons)
    region = _region(cell["region"], reasons)
    category = _member(Category, cell["category"], "人员类别", reasons)
    disability = _member(Disability, cell["disability"] or Disability.NONE, "残疾类别", reasons)
    exit_year = _exit_year(cell["exit_year"], category, current_year, reasons)
    consent = _consent(row.columns[len(HEADER) :], cell, reasons)
    diseases = _split_list(cell["chronic_diseases"])
    if region is not None and disease_validator is not None:
        for disease in diseases:
            _note(reasons, disease_validator(region, disease))
    for key, label in (("name", "姓名"), ("village", "村"), ("family_doctor", "家庭医生")):
        if len(cell[key]) > TEXT_LIMIT:
            reasons.append(f"{label}超过{TEXT_LIMIT}个字")
    if any(len(disease) > TEXT_LIMIT for disease in diseases):
        reasons.append(f"慢性病名称超过{TEXT_LIMIT}个字")
    if reasons or region is None or category is None or disability is None:
        return
    row.record = ResidentRecord(
        id_number=id_number,
        name=cell["name"],
        phones=phones,
        region=region,
        category=category,
        village=cell["village"],
        diseases=diseases,
        disability=disability,
        family_doctor=cell["family_doctor"] or None,
        exit_year=exit_year,
        consent=consent,
    )


def _note(reasons: list[str], reason: str | None) -> None:
    if reason is not None:
        reasons.append(reason)


def _split_list(value: str) -> tuple[str, ...]:
    """'a; b;；a' -> ('a', 'b'): blanks dropped, first spelling of a repeat kept."""
    items = (item.strip() for item in _LIST_SEPARATOR.split(value))
    return tuple(dict.fromkeys(item for item in items if item))


def _phones(value: str, reasons: list[str]) -> tuple[str, ...]:
    """Mainland mobiles, stored as 11 digits: an optional +86 is dropped."""
    phones = []
    for raw in _split_list(value):
        phone = raw.removeprefix("+86").strip()
        if _MOBILE.fullmatch(phone):
            phones.append(phone)
        else:
            reasons.append(f"手机号“{idnumber.mask_phone(raw)}”不是有效的大陆手机号")
    return tuple(dict.fromkeys(phones))


def _member(enum: type[E], value: str, label: str, reasons: list[str]) -> E | None:
    try:
        return enum(value)
    except ValueError:
        allowed = "、".join(member.value for member in enum)
        reasons.append(f"未知{label}“{value}”（应为 {allowed} 之一）")
        return None


def _region(value: str, reasons: list[str]) -> Region | None:
    """A region of policies/ (the list is data), or None with the reason added."""
    try:
        return Region(value)
    except ValueError:
        allowed = "、".join(region.value for region in Region.all())
        reasons.append(f"未知地区“{value}”（应为 {allowed} 之一）")
        return None


def _consent(extra: tuple[str, ...], cell: dict[str, str], reasons: list[str]) -> bool | None:
    """是/同意/yes → True, 否/不同意/no or blank → False (no consent unless recorded); None
    when the file has no consent column."""
    if not extra:
        return None
    value = cell[extra[0]]
    if value.lower() in CONSENT_YES:
        return True
    if value.lower() in CONSENT_NO:
        return False
    reasons.append(f"同意接收通知“{value}”应为“是”或“否”（yes/no），空白表示不同意")
    return None


def _exit_year(
    value: str, category: Category | None, current_year: int, reasons: list[str]
) -> int | None:
    if not value:
        if category is Category.EXITED:
            reasons.append("已脱贫人口（exited）须填写脱贫年份exit_year")
        return None
    if value.isdigit() and FIRST_EXIT_YEAR <= int(value) <= current_year:
        return int(value)
    reasons.append(f"脱贫年份“{value}”应为{FIRST_EXIT_YEAR}至{current_year}之间的年份")
    return None


def check_duplicates(rows: Iterable[CsvRow]) -> None:
    """The same ID number or mobile on several rows: every row involved is rejected."""
    by_id: dict[str, list[CsvRow]] = defaultdict(list)
    by_phone: dict[str, list[CsvRow]] = defaultdict(list)
    for row in rows:
        if row.record is not None:
            by_id[row.record.id_number].append(row)
            for phone in row.record.phones:
                by_phone[phone].append(row)
    for group in by_id.values():
        _mark_repeats(group, "身份证号")
    for phone, group in by_phone.items():
        _mark_repeats(group, f"手机号{idnumber.mask_phone(phone)}")


def _mark_repeats(group: list[CsvRow], what: str) -> None:
    if len(group) < 2:
        return
    for row in group:
        others = "、".join(str(other.line) for other in group if other is not row)
        row.reasons.append(f"{what}与第{others}行重复")
