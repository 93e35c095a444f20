"""`healthaid policies show` as text: the listing of settlement/listing.py, one rule a paragraph."""

from settlement.listing import ESTIMATED, ClauseQuote, ListedNote, ListedParameter, Listing


def _clause_line(quote: ClauseQuote) -> str:
    return f"依据：{quote.label}：“{quote.text}”"


def _parameter_lines(parameter: ListedParameter) -> list[str]:
    mark = f"「{ESTIMATED}」" if parameter.estimated else ""
    lines = [
        f"· {parameter.description}{mark}（{parameter.name}）",
        f"  数值：{parameter.text}",
        f"  施行：{parameter.period}",
    ]
    if parameter.reference is not None:
        lines.append(f"  {_clause_line(parameter.reference)}")
    source = parameter.source
    if source is not None:
        by = "，".join(str(x) for x in (source.issuer, source.year) if x)
        lines.append(f"  来源：{source.title}" + (f"（{by}）" if by else ""))
        if source.quote:
            lines.append(f"  原文：“{source.quote}”")
        if source.href:
            lines.append(f"  链接：{source.href}")
    if parameter.estimated:
        lines.append(f"  {ESTIMATED}：{parameter.reason}")
    return lines


def _note_lines(note: ListedNote) -> list[str]:
    lines = [f"· 说明（不计算金额）：{note.text}"]
    if note.conditions:
        lines.append(f"  适用：{note.conditions}")
    lines.append(f"  {_clause_line(note.reference)}")
    return lines


def listing_lines(listing: Listing) -> list[str]:
    """The whole listing: a heading line, then per group 【name】 and its rules."""
    lines = [
        f"{listing.name}（{listing.region}）{listing.day.isoformat()}施行的政策参数"
        f"{listing.parameter_count}项，"
        f"其中{listing.estimated_count}项为估算（标「{ESTIMATED}」，以当地医保经办机构为准）"
    ]
    if not listing.groups:
        lines.append("这一天还没有施行的规定。")
    for group in listing.groups:
        lines += ["", f"【{group.name}】"]
        for parameter in group.parameters:
            lines += _parameter_lines(parameter)
        for note in group.notes:
            lines += _note_lines(note)
    return lines
