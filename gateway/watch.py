"""Whether the action server is up, checked at most once a second.

Rasa swallows a failed custom action and may still answer (its default fallback, 「没听懂」),
so its reply alone cannot tell the gateway that the action server is down. The pipeline asks
this watch before each turn and answers 「系统繁忙」 itself when the action server is down.
"""

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

Probe = Callable[[], Awaitable[bool]]


def http_probe(client: httpx.AsyncClient, path: str = "/health", timeout: float = 2.0) -> Probe:
    async def probe() -> bool:
        try:
            response = await client.get(path, timeout=timeout)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    return probe


@dataclass
class HealthWatch:
    probe: Probe
    ttl_up: float = 1.0  # re-check a healthy server at most this often (a loopback GET)
    ttl_down: float = 0.5  # and a failed one sooner, to notice its return
    clock: Callable[[], float] = time.monotonic
    _checked: float = field(default=-math.inf, init=False)
    _up: bool = field(default=True, init=False)

    async def up(self) -> bool:
        now = self.clock()
        if now - self._checked >= (self.ttl_up if self._up else self.ttl_down):
            self._up = await self.probe()
            self._checked = now
        return self._up
