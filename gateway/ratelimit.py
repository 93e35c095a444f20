"""In-memory rate limits: token buckets per key, and a failure counter for sign-ins.

In memory on purpose: limits protect this process from floods, and a restart forgetting them is
harmless. Several gateway processes would each allow the limit (documented in the README).
"""

import threading
from collections import OrderedDict, deque
from collections.abc import Callable

# Keys are remembered for this many senders at most; the least recently seen are dropped, so
# a flood of new senders cannot grow memory without bound.
MAX_KEYS = 100_000


class TokenBucket:
    """`rate` events per `per` seconds per key, with bursts of up to `rate`."""

    def __init__(self, rate: int, per: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.per = per
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        # Pipeline steps run in worker threads (the database is synchronous).
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * self.rate / self.per)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
            return allowed


class FailureWindow:
    """At most `limit` failures per `window` seconds per key (sign-in attempts)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        horizon = self._clock() - self.window
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= horizon:
            times.popleft()
        return times

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def record(self, key: str) -> None:
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                self._failures.clear()
            self._recent(key).append(self._clock())
