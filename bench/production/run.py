"""A benchmark run: the configurations, the calibrated replies, the measured cells, and the
faults C meets."""

import asyncio
import csv
import io
import itertools
import os
import signal
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.production.cpu import CpuSampler
from bench.production.load import Cell, run_cell
from bench.production.report import print_cell
from bench.production.stacks import Target
from healthaid.stack import Service

Faults = Callable[[Cell], Coroutine[Any, Any, None]]


@dataclass
class Run:
    targets: list[Target]
    senders: Iterator[str]
    reference: dict[str, list[str]] = field(default_factory=dict)  # script → replies
    phones: dict[str, dict[str, str]] = field(default_factory=dict)  # target → script → phone
    cells: dict[tuple[str, int], list[Cell]] = field(default_factory=lambda: defaultdict(list))
    fault_cell: Cell | None = None

    def cell(
        self,
        target: Target,
        label: str,
        concurrency: int,
        conversations: int,
        seconds: float,
        faults: Faults | None = None,
    ) -> Cell:
        """One measured cell, printed, with the CPU each process used meanwhile."""
        sampler = CpuSampler(self.targets)
        before = haproxy_stats(target)
        sampler.start()
        try:
            cell = asyncio.run(
                run_cell(
                    target,
                    self.reference,
                    self.senders,
                    concurrency,
                    conversations,
                    seconds,
                    faults,
                )
            )
        finally:
            sampler.stop()
        print_cell(label, cell, self.reference)
        print(f"    {sampler.summary(target.name)}")
        if target.stats_url is not None:
            after = haproxy_stats(target)
            for field_name, what in (
                ("stot", "requests per server"),
                ("chkdown", "times a health check marked a server down"),
            ):
                split = ", ".join(
                    f"{name} {int(row[field_name]) - int(before.get(name, {}).get(field_name, 0))}"
                    for name, row in after.items()
                )
                print(f"    HAProxy {what}: {split}")
        return cell


def haproxy_stats(target: Target) -> dict[str, dict[str, str]]:
    """HAProxy's row for each gateway and Rasa instance (its status page, as CSV): stot the
    requests sent to it, scur those in flight, chkdown how often checks marked it down."""
    if target.stats_url is None:
        return {}
    try:
        page = httpx.get(f"{target.stats_url};csv", timeout=5).text.lstrip("# ")
    except httpx.HTTPError:
        return {}
    return {
        row["svname"]: row
        for row in csv.DictReader(io.StringIO(page))
        if row["svname"].startswith(("rasa-", "gateway-"))
    }


def in_flight(target: Target, server: str) -> int:
    return int(haproxy_stats(target).get(server, {}).get("scur") or 0)


def phones() -> Iterator[str]:
    return (f"+86150{n:08d}" for n in itertools.count(1))


def kill(service: Service) -> None:
    """SIGKILL, as a power cut or the OOM killer would: no shutdown handler runs."""
    assert service.process is not None
    os.killpg(service.process.pid, signal.SIGKILL)
    service.process.wait()


def fault_schedule(target: Target, seconds: float) -> Faults:
    """A quarter of the way in, SIGKILL C's first gateway; halfway, its first Rasa instance.
    Each is killed at the first moment (within 5 s) HAProxy has a request in flight on it, so
    that the kill interrupts a resident's turn rather than an idle process."""

    async def faults(cell: Cell) -> None:
        for name in ("C-gateway-1", "C-rasa-1"):
            await asyncio.sleep(seconds / 4)
            server = name.removeprefix("C-")
            waited = time.monotonic()
            while time.monotonic() - waited < 5 and not await asyncio.to_thread(
                in_flight, target, server
            ):
                await asyncio.sleep(0.02)
            await asyncio.to_thread(kill, target.services[name])
            cell.events[f"SIGKILL {name}"] = time.monotonic()
            if name == "C-gateway-1":  # the bench's direct posts stop going there
                target.down.add(target.gateway_urls[0])

    return faults
