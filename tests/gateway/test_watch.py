"""The action-server watch: cached while healthy, re-checked sooner while down."""

import pytest

from gateway.watch import HealthWatch

pytestmark = pytest.mark.anyio


async def test_a_healthy_server_is_probed_at_most_every_second() -> None:
    now, answers, calls = [0.0], [True, False], []

    async def probe() -> bool:
        calls.append(now[0])
        return answers[len(calls) - 1]

    watch = HealthWatch(probe, ttl_up=5.0, ttl_down=1.0, clock=lambda: now[0])
    results = []
    for moment in (0.0, 4.9, 5.0, 5.5, 6.0):
        now[0] = moment
        if moment == 6.0:
            answers.append(True)
        results.append(await watch.up())

    assert results == [True, True, False, False, True]
    assert calls == [0.0, 5.0, 6.0]
