"""The broadcast consumer process: `python -m gateway.broadcasts.worker [--ready-file PATH]`.

Started by `make run` (healthaid/stack.py), by the production profile (healthaid/
production.py) and on a county's servers by deploy/systemd/healthaid-broadcasts.service. It
reads the same environment as the gateway (gateway/settings.py) and runs Huey's consumer
(gateway/broadcasts/engine.py) until SIGINT (finish the messages in hand, then stop) or
SIGTERM (stop now; a job cut short is resumed by the next consumer, see job.py).

The channels are those the settings configure (gateway/broadcasts/channels.py): WeChat
customer-service messages when the Official Account is configured, SMS through Twilio's REST
API when `HEALTHAID_TWILIO__ACCOUNT_SID` and a sending number or messaging service are set. A
broadcast on a channel that is not configured has its messages recorded as failed ("sms is not
configured"), visible on the broadcast's page.
"""

import argparse
import sys
from pathlib import Path

from gateway import logs
from gateway.broadcasts.channels import ChannelsOf
from gateway.broadcasts.engine import build_engine
from gateway.settings import get_settings
from registry.db import get_engine, make_sessionmaker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="send broadcasts (Huey consumer)")
    parser.add_argument("--ready-file", type=Path, help="written once the consumer runs")
    args = parser.parse_args(argv)
    logs.configure()
    settings = get_settings()
    engine = get_engine(settings.database_url)
    broadcasts = build_engine(settings, make_sessionmaker(engine), ChannelsOf(settings))
    if args.ready_file is not None:
        ready: Path = args.ready_file

        @broadcasts.huey.on_startup(name="ready_file")  # type: ignore[untyped-decorator]
        def announce() -> None:
            ready.parent.mkdir(parents=True, exist_ok=True)
            ready.write_text("ready\n", "utf-8")

    try:
        broadcasts.consumer(settings.broadcast.workers).run()
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
