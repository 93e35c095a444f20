"""A fault-injecting reverse proxy for the real Rasa server: adds a delay, or refuses.

Put it between the gateway and Rasa to test and measure the slow and down paths with the real
stack (a 10-second Rasa, a Rasa that is down), and to count what reached Rasa.
"""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Faults:
    delay_seconds: float = 0.0
    down: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    bodies: list[bytes] = field(default_factory=list)


def proxy_app(target: str, faults: Faults) -> Starlette:
    client = httpx.AsyncClient(base_url=target, timeout=60)

    async def forward(request: Request) -> Response:
        body = await request.body()
        faults.calls[request.url.path] += 1
        faults.bodies.append(body)
        if faults.down:
            return Response("injected fault: down", status_code=503)
        if faults.delay_seconds:
            await asyncio.sleep(faults.delay_seconds)
        try:
            upstream = await client.request(
                request.method,
                request.url.path,
                params=request.query_params,
                content=body,
                headers={"content-type": request.headers.get("content-type", "application/json")},
            )
        except httpx.HTTPError:
            return Response("upstream unreachable", status_code=502)  # as a real proxy would
        return Response(
            upstream.content,
            status_code=upstream.status_code,
            media_type=upstream.headers.get("content-type"),
        )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    return Starlette(
        routes=[Route("/{path:path}", forward, methods=["GET", "POST", "PUT"])],
        lifespan=lifespan,
    )


class DelayProxy:
    """Runs the proxy on 127.0.0.1:`port` in a background thread."""

    def __init__(self, target: str, port: int) -> None:
        self.faults = Faults()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            proxy_app(target, self.faults), host="127.0.0.1", port=port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> "DelayProxy":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("delay proxy did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
