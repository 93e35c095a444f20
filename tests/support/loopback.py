"""An ASGI app served by a real uvicorn server on a free loopback port, in a thread.

The port is taken first (`Loopback().url`), so an app whose settings must name its own
address (the gateway's public base URL, which Twilio signs) can be built before it is served.
"""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

START_SECONDS = 10.0


def free_port() -> int:
    """A port free now, for a process that binds it itself (another could take it meanwhile,
    which on a test machine's loopback does not happen in practice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Loopback:
    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port: int = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    @contextmanager
    def serve(self, app: Any) -> Iterator[str]:
        """Serve `app` until the block ends (its lifespan runs at start and end)."""
        config = uvicorn.Config(app, log_level="warning", loop="asyncio")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [self.socket]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.02)
        try:
            yield self.url
        finally:
            server.should_exit = True
            thread.join(timeout=START_SECONDS)
            self.socket.close()
