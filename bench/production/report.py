"""The figures of a cell, of a configuration over its cells, the ratios between configurations
and the issue's targets, printed as they come (bench/stack.py's `report` for the latency line).
"""

from collections import Counter
from dataclasses import dataclass, field

from bench.production.checks import TrackerCheck
from bench.production.load import DEADLINE, Cell, TurnRecord
from bench.stack import report

TARGET_RATIO = 1.5  # C/A throughput at concurrency 32


@dataclass
class Tally:
    """Correctness over cells: every figure should be 0."""

    misread: int = 0  # a 「2」 or 「更多」 answered as something else
    wrong: int = 0  # any other message answered with another reply than the calibration's
    lost: int = 0  # a message not answered within the turn's budget
    copies: int = 0  # provider retries of a message answered at the first post
    copies_differing: int = 0  # … whose reply was not the original's
    busy: int = 0
    empty: int = 0
    transport_errors: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, cell: Cell, reference: dict[str, list[str]]) -> None:
        for conversation in cell.conversations:
            if conversation.outcome in ("misread", "wrong", "lost"):
                setattr(self, conversation.outcome, getattr(self, conversation.outcome) + 1)
                last = conversation.turns[-1]
                if len(self.examples) < 5:
                    expected = reference[conversation.script.name][len(conversation.turns) - 1]
                    self.examples.append(
                        f"{cell.target} {conversation.outcome}: 「{last.text}」 → "
                        f"{(last.reply or '')[:60]!r}, expected {expected[:60]!r}"
                    )
        for turn in cell.turns:
            self.busy += turn.busy
            self.empty += turn.empty
            self.transport_errors += turn.transport_errors
            if turn.copy_reply is not None and turn.posts == 1 and turn.reply is not None:
                self.copies += 1
                self.copies_differing += turn.copy_reply != turn.reply


def answered(turns: list[TurnRecord]) -> list[float]:
    return [t.latency for t in turns if t.reply is not None]


def within_deadline(turns: list[TurnRecord]) -> float:
    latencies = answered(turns)
    return sum(1 for x in latencies if x <= DEADLINE) / max(1, len(turns))


def print_cell(label: str, cell: Cell, reference: dict[str, list[str]]) -> dict[str, float]:
    figures = report(label, answered(cell.turns), cell.elapsed)
    tally = Tally()
    tally.add(cell, reference)
    outcomes = Counter(c.outcome for c in cell.conversations)
    print(
        f"    within {DEADLINE:.0f} s {100 * within_deadline(cell.turns):.1f}%; "
        f"{len(cell.conversations)} conversations {dict(outcomes)}; misread {tally.misread}, "
        f"wrong {tally.wrong}, lost {tally.lost}; retries to another gateway {tally.copies}, "
        f"differing {tally.copies_differing}; 系统繁忙 {tally.busy}, empty {tally.empty}, "
        f"no answer {tally.transport_errors}"
    )
    return figures


def print_tracker(name: str, check: TrackerCheck) -> None:
    print(
        f"  {name}: Rasa's trackers of {check.senders} senders ({check.heard} messages heard): "
        f"lost {check.lost}, "
        f"duplicated {check.duplicated}, out of order {check.out_of_order}, "
        f"unreadable {check.unreadable}"
    )


def served_again(cell: Cell) -> list[str]:
    """Per fault: the turns in flight when it struck, how many needed another try, and when
    the last of them was answered; the worst latency of a turn begun within 30 s after."""
    lines = []
    for fault, at in sorted(cell.events.items(), key=lambda item: item[1]):
        in_flight = [
            t for t in cell.turns if t.started <= at and (t.reply is None or t.finished >= at)
        ]
        hit = [t for t in in_flight if t.transport_errors or t.busy or t.empty or t.reply is None]
        after = [t for t in cell.turns if at < t.started <= at + 30]
        worst_after = max(answered(after), default=0.0)
        if hit:
            unanswered = sum(1 for t in hit if t.reply is None)
            again = max((t.finished - at for t in hit if t.reply is not None), default=0.0)
            detail = (
                f"{len(hit)} needed another try, all answered again within {again:.1f} s"
                if not unanswered
                else f"{len(hit)} needed another try, {unanswered} never answered"
            )
        else:
            detail = "none needed another try"
        spanning = [
            c
            for c in cell.conversations
            if c.turns and c.turns[0].started <= at and (c.turns[-1].finished or at + 1) > at
        ]
        broken = sum(1 for c in spanning if c.outcome in ("misread", "wrong", "lost"))
        lines.append(
            f"  {fault} at {at - cell.started:.1f} s: {len(in_flight)} turns in flight, "
            f"{detail}; worst latency of a turn begun in the next 30 s {worst_after:.1f} s; "
            f"{len(spanning)} conversations spanned it, {broken} did not continue as scripted"
        )
    return lines
