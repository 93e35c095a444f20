"""A bar chart of messages per day as inline SVG, drawn on the server (no JavaScript)."""

from collections.abc import Callable, Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT, MARGIN = 560, 180, 28


def _month_day(day: date) -> str:
    return f"{day.month}/{day.day}"


def bars(
    per_day: Sequence[tuple[date, int]], title: str, label: Callable[[date], str] = _month_day
) -> str:
    """An accessible SVG: a <title> for screen readers and a text label on every bar.
    `label` names a bar under the axis (default month/day; a datetime's hour for hourly bars)."""
    if not per_day:
        return ""
    peak = max(count for _, count in per_day) or 1
    slot = (WIDTH - 2 * MARGIN) / len(per_day)
    usable = HEIGHT - 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" '
        f'y2="{HEIGHT - MARGIN}" stroke="#555"/>',
    ]
    for index, (day, count) in enumerate(per_day):
        height = usable * count / peak
        x = MARGIN + index * slot + slot * 0.15
        y = HEIGHT - MARGIN - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="#2a7a3b"><title>{escape(day.isoformat())}：{count}条</title></rect>'
        )
        if count:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" font-size="11" '
                f'text-anchor="middle">{count}</text>'
            )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - MARGIN + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label(day))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
