"""The shared state kept in this process: for `make run`, the tests and one gateway process.

Bounded and expiring, like the Redis implementation, so a flood of new senders cannot grow
memory without bound.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.rasa_client import Button
from gateway.shared.base import MEMORY_SECONDS, REPLY_SECONDS

MAX_SENDERS = 50_000
MAX_REPLIES = 10_000


@dataclass
class Remembered:
    at: float
    buttons: list[Button] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


class InProcessSenderMemory:
    def __init__(self, clock: Callable[[], float], seconds: float = MEMORY_SECONDS) -> None:
        self._clock = clock
        self._seconds = seconds
        self._entries: OrderedDict[str, Remembered] = OrderedDict()
        # Asked from worker threads (the pipeline's database half) and the event loop.
        self._lock = threading.Lock()

    def _get(self, key: str) -> Remembered:
        now = self._clock()
        entry = self._entries.pop(key, None)
        if entry is None or now - entry.at >= self._seconds:
            entry = Remembered(at=now)
        self._entries[key] = entry
        while len(self._entries) > MAX_SENDERS:
            self._entries.popitem(last=False)
        return entry

    def buttons(self, key: str) -> list[Button]:
        with self._lock:
            return list(self._get(key).buttons)

    def remember(self, key: str, buttons: list[Button], pages: list[str]) -> None:
        with self._lock:
            entry = self._get(key)
            entry.at, entry.buttons, entry.pages = self._clock(), list(buttons), list(pages)

    def next_page(self, key: str) -> str | None:
        with self._lock:
            entry = self._get(key)
            return entry.pages.pop(0) if entry.pages else None


class InProcessReplyCache:
    def __init__(self, clock: Callable[[], float], seconds: float = REPLY_SECONDS) -> None:
        self._clock = clock
        self._seconds = seconds
        self._replies: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, channel: str, message_id: str) -> str | None:
        with self._lock:
            kept = self._replies.get((channel, message_id))
            if kept is None or self._clock() - kept[0] >= self._seconds:
                return None
            return kept[1]

    def put(self, channel: str, message_id: str, reply: str) -> None:
        with self._lock:
            self._replies.pop((channel, message_id), None)
            self._replies[(channel, message_id)] = (self._clock(), reply)
            while len(self._replies) > MAX_REPLIES:
                self._replies.popitem(last=False)
