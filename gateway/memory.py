"""What the gateway remembers about a sender between two messages: the buttons last offered
(so "2" can mean the second one) and the pages of a long SMS answer not yet sent ("更多").

In memory, keyed by the hashed sender, bounded and expiring: losing it on a restart only means
a resident types the choice in words or asks again.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.rasa_client import Button

TTL_SECONDS = 30 * 60
MAX_SENDERS = 50_000


@dataclass
class Remembered:
    at: float
    buttons: list[Button] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


class SenderMemory:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: OrderedDict[str, Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, key: str) -> Remembered:
        now = self._clock()
        entry = self._entries.pop(key, None)
        if entry is None or now - entry.at > TTL_SECONDS:
            entry = Remembered(at=now)
        self._entries[key] = entry
        while len(self._entries) > MAX_SENDERS:
            self._entries.popitem(last=False)
        return entry

    def buttons(self, key: str) -> list[Button]:
        with self._lock:
            return list(self._get(key).buttons)

    def remember(self, key: str, buttons: list[Button], pages: list[str]) -> None:
        """Replace what is remembered: a new answer makes the old choices and pages stale."""
        with self._lock:
            entry = self._get(key)
            entry.at, entry.buttons, entry.pages = self._clock(), list(buttons), list(pages)

    def next_page(self, key: str) -> str | None:
        with self._lock:
            entry = self._get(key)
            return entry.pages.pop(0) if entry.pages else None
