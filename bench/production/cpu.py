"""Who used the CPU during a cell: /proc sampled once a second, every process charged to the
service it descends from (a Rasa instance, a gateway, the action server and its workers,
PostgreSQL's backends, Redis, HAProxy), the benchmark's own client, or "other" (anything else on
the machine). Linux only.
"""

import contextlib
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

from bench.production.stacks import Target

TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, int]]:
    """pid → (parent pid, CPU ticks used so far, user + system)."""
    found: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def _busy_and_total() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def roots(targets: list[Target]) -> dict[int, str]:
    """The pid each service's process tree starts at, with its name (A-rasa, C-postgres…)."""
    found = {os.getpid(): "bench client"}
    for target in targets:
        for name, service in target.services.items():
            if service.process is not None and service.process.poll() is None:
                found[service.process.pid] = name
        for engine, pid_file in target.engine_pid_files.items():
            with contextlib.suppress(OSError, ValueError, IndexError):  # not started yet
                found[int(pid_file.read_text().split()[0])] = f"{target.name}-{engine}"
    return found


class CpuSampler:
    """CPU seconds per service between start() and stop(), and the machine's busy share."""

    def __init__(self, targets: list[Target], every: float = 1.0) -> None:
        self.targets, self.every = targets, every
        self._first: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._owner: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._machine = (0, 0)
        self.seconds: dict[str, float] = {}
        self.busy_share = 0.0
        self.wall = 0.0

    def _sample(self, first: bool) -> None:
        processes = _processes()
        named = roots(self.targets)
        for pid, (_, ticks) in processes.items():
            owner, seen, cursor = "other", set(), pid
            while cursor in processes and cursor not in seen:
                if cursor in named:
                    owner = named[cursor]
                    break
                seen.add(cursor)
                cursor = processes[cursor][0]
            self._owner.setdefault(pid, owner)
            # A process born during the cell started from nothing.
            self._first.setdefault(pid, ticks if first else 0)
            self._last[pid] = ticks

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample(first=False)

    def start(self) -> None:
        self._started = time.monotonic()
        self._machine = _busy_and_total()
        self._sample(first=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(first=False)
        self.wall = time.monotonic() - self._started
        busy, total = _busy_and_total()
        self.busy_share = (busy - self._machine[0]) / max(1, total - self._machine[1])
        totals: dict[str, float] = defaultdict(float)
        for pid, last in self._last.items():
            totals[self._owner[pid]] += (last - self._first[pid]) / TICKS
        self.seconds = dict(totals)

    def summary(self, prefix: str) -> str:
        """Cores used per service of the configuration `prefix` and in all, by the client, by
        the other (idle) configurations, and by the rest of the machine."""
        cores = {name: s / self.wall for name, s in self.seconds.items() if s > 0}
        mine = sorted(
            ((n, v) for n, v in cores.items() if n.startswith(f"{prefix}-")), key=lambda x: -x[1]
        )
        parts = [f"{name[len(prefix) + 1 :]} {value:.2f}" for name, value in mine]
        idle = sum(v for n, v in cores.items() if n[1:2] == "-" and not n.startswith(prefix))
        return (
            f"CPU cores: {', '.join(parts)} (all {sum(v for _, v in mine):.2f}); "
            f"client {cores.get('bench client', 0.0):.2f}; other configurations {idle:.2f}; "
            f"rest of the machine {cores.get('other', 0.0):.2f}; "
            f"machine busy {100 * self.busy_share:.0f}%"
        )
