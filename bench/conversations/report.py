"""The conversation set's results as markdown: the share passed overall, by kind and by origin
(real residents' questions `r-`, written from the seeds `w-`), then each failure."""

from bench.conversations.drive import CaseResult, by_kind

TARGET_ALL = 0.95
TARGET_KIND = 0.90


def _share(passed: int, total: int) -> str:
    return f"{passed}/{total} ({passed / total:.1%})" if total else "0/0"


def render(results: list[CaseResult], seconds: float, *, show_failures: bool) -> str:
    passed = sum(r.passed for r in results)
    lines = [
        f"conversation set: {_share(passed, len(results))} passed "
        f"(target {TARGET_ALL:.0%}, every kind {TARGET_KIND:.0%}) in {seconds:.0f} s",
        "",
        "| kind | passed |",
        "|---|---|",
    ]
    for kind, (ok, total) in by_kind(results).items():
        mark = "" if total and ok / total >= TARGET_KIND else " ✗"
        lines.append(f"| {kind} | {_share(ok, total)}{mark} |")
    origins = (
        ("r-", "real residents' questions"),
        ("w-", "written from the seeds"),
        ("f-", "written fresh, after the system was built"),
        ("f2-", "written fresh again, after the letters and detail work"),
        ("f3-", "written fresh a third time, short remarks and handoff (2026-11-30)"),
    )
    for prefix, name in origins:
        group = [r for r in results if r.case.id.startswith(prefix)]
        lines.append(f"| *{name}* | {_share(sum(r.passed for r in group), len(group))} |")
    if show_failures:
        lines += ["", "## Failures", ""]
        for result in results:
            if result.passed:
                continue
            lines.append(f"- **{result.case.id}** ({result.case.kind}) {result.error or ''}")
            for turn in result.turns:
                flag = "ok" if turn.passed else f"missing {turn.missing} forbidden {turn.forbidden}"
                reply = turn.reply.replace("\n", " ")[:220]
                lines.append(f"  - 「{turn.user[:80]}」 → 「{reply}」 — {flag}")
    return "\n".join(lines)
