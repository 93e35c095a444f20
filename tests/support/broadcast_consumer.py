"""A broadcast consumer process for tests: the real engine and Huey consumer
(gateway/broadcasts/), with a recording Deliver for both channels instead of a provider.

    python -m tests.support.broadcast_consumer RECORD_FILE [HANG_AFTER]

Settings come from the environment, as for `python -m gateway.broadcasts.worker`. Every
message handed to the channel is appended to RECORD_FILE as `channel<TAB>recipient<TAB>text`
before it counts as sent. With HANG_AFTER=n, the provider accepts n messages and then hangs on
the next one (never answering), so a test can kill the process at a known point.
"""

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from gateway.broadcasts.engine import build_engine
from gateway.outbox import Deliver, Delivery, Outcome
from gateway.settings import get_settings
from registry.db import get_engine, make_sessionmaker


def recording(record: Path, hang_after: int | None) -> Any:
    accepted = 0

    def deliver_on(channel: str) -> Deliver:
        async def deliver(recipient: str, payload: dict[str, Any], row_id: int) -> Delivery:
            nonlocal accepted
            if hang_after is not None and accepted >= hang_after:
                await asyncio.Event().wait()  # a provider that never answers
            with record.open("a", encoding="utf-8") as file:
                file.write(f"{channel}\t{recipient}\t{payload['text']}\n")
            accepted += 1
            return Delivery(Outcome.SENT)

        return deliver

    @asynccontextmanager
    async def channels() -> AsyncIterator[dict[str, Deliver]]:
        yield {"sms": deliver_on("sms"), "wechat": deliver_on("wechat")}

    return channels


def main() -> int:
    record = Path(sys.argv[1])
    hang_after = int(sys.argv[2]) if len(sys.argv) > 2 else None
    settings = get_settings()
    engine = get_engine(settings.database_url)
    broadcasts = build_engine(settings, make_sessionmaker(engine), recording(record, hang_after))
    broadcasts.consumer(workers=1).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
