"""The running stack, measured: gateway against direct Rasa, WeChat under a 10-second Rasa,
replays, and Rasa's own model load time and reply latency.

Everything runs on 127.0.0.1 with the real trained model, a fresh SQLite database of demo data
and a fake WeChat API; every loop is bounded. Run: make bench-stack (after make rasa-train).
Prints figures and ratios; asserts nothing.
"""

import argparse
import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import uvicorn
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from healthaid.stack import StackConfig, running_stack
from tests.gateway.fake_wechat import FakeWeChat
from tests.support.delay_proxy import DelayProxy
from tests.support.seed import seed

PORTS = {"gateway": 28000, "rasa": 25005, "action": 25055, "proxy": 25006, "wechat": 28081}
TWILIO_TOKEN = "bench-twilio-token"
WECHAT = ("benchtoken", "wxbench00000000001", "bench-secret")
FAQ = [
    "先诊疗后付费是什么",
    "大病保险怎么报",
    "一站式结算在哪",
    "家庭医生怎么签约",
    "脱贫了还能享受吗",
]
ESTIMATE = "固阳县贫困户在县医院住院花了两万，自己掏多少"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, latencies: list[float], elapsed: float) -> dict[str, float]:
    p50, p95, p99 = (percentile(latencies, q) * 1000 for q in (0.5, 0.95, 0.99))
    rate = len(latencies) / elapsed
    print(
        f"{label:<44} n={len(latencies):>4}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
        f"p99 {p99:7.1f} ms  {rate:6.1f} msg/s"
    )
    return {"p50": p50, "p95": p95, "p99": p99, "rate": rate}


async def run_load(
    send: Callable[[int], Awaitable[None]], count: int, concurrency: int
) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue = iter(range(count))
    lock = asyncio.Lock()

    async def worker() -> None:
        while True:
            async with lock:
                index = next(queue, None)
            if index is None:
                return
            start = time.perf_counter()
            await send(index)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - start


def messages(count: int) -> list[str]:
    return [[*FAQ, ESTIMATE][i % (len(FAQ) + 1)] for i in range(count)]


async def direct_vs_gateway(config: StackConfig, proxy_url: str, count: int, run_id: str) -> None:
    texts = messages(count)
    url = f"{config.gateway_url}/sms/twilio"
    validator = RequestValidator(TWILIO_TOKEN)
    async with httpx.AsyncClient(timeout=60) as client:

        def direct(tag: str) -> Callable[[int], Awaitable[None]]:
            async def send(i: int) -> None:
                body = {"sender": f"bench-{run_id}-{tag}-{i}", "message": texts[i]}
                # Through the same proxy hop as the gateway, so the ratio is the gateway's own.
                response = await client.post(f"{proxy_url}/webhooks/rest/webhook", json=body)
                response.raise_for_status()

            return send

        def gateway(tag: str) -> Callable[[int], Awaitable[None]]:
            async def send(i: int) -> None:
                form = {
                    "MessageSid": f"SM{run_id}{tag}{i:08d}",
                    "From": f"+86139{i:08d}",
                    "To": "+15005550006",
                    "Body": texts[i],
                    "NumMedia": "0",
                }
                signature = validator.compute_signature(url, form)
                response = await client.post(
                    url, data=form, headers={"X-Twilio-Signature": signature}
                )
                response.raise_for_status()

            return send

        # Warm both paths once (model caches, connection pools) before measuring.
        await run_load(direct("warm"), 6, 2)
        await run_load(gateway("warm"), 6, 2)
        for concurrency in (1, 8):
            d = report(
                f"direct Rasa REST, concurrency {concurrency}",
                *await run_load(direct(f"d{concurrency}"), count, concurrency),
            )
            g = report(
                f"gateway (signed Twilio), concurrency {concurrency}",
                *await run_load(gateway(f"g{concurrency}"), count, concurrency),
            )
            print(
                f"  ratio gateway/direct: p50 {g['p50'] / d['p50']:.2f}  "
                f"throughput {g['rate'] / d['rate']:.2f}"
            )


def wechat_post(config: StackConfig, openid: str, text: str, msg_id: int) -> float:
    timestamp, nonce = str(int(time.time())), f"n{msg_id}"
    import hashlib

    signature = hashlib.sha1("".join(sorted([WECHAT[0], timestamp, nonce])).encode()).hexdigest()
    xml = (
        f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>{openid}</FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType>text</MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    start = time.perf_counter()
    response = httpx.post(
        f"{config.gateway_url}/wechat",
        content=xml.encode(),
        timeout=30,
        params={"signature": signature, "timestamp": timestamp, "nonce": nonce},
    )
    response.raise_for_status()
    return time.perf_counter() - start


def wechat_slow_rasa(
    config: StackConfig, proxy: DelayProxy, wechat: FakeWeChat, count: int
) -> None:
    proxy.faults.delay_seconds = 10
    before = len(wechat.delivered)
    acks: list[float] = []
    threads = [
        threading.Thread(
            target=lambda i=i: acks.append(
                wechat_post(config, f"oBenchSlow{i:04d}", FAQ[i % len(FAQ)], 900000 + i)
            )
        )
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 60
    while len(wechat.delivered) - before < count and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    delivered = wechat.delivered[before:]
    per_user = {m["touser"] for m in delivered}
    within = sum(1 for a in acks if a < 5)
    print(
        f"WeChat with Rasa slowed to 10 s: {count} posts, acknowledged within 5 s: "
        f"{within}/{count} ({100 * within / count:.0f}%), max ack {max(acks) * 1000:.0f} ms"
    )
    print(
        f"  customer-service deliveries: {len(delivered)} for {len(per_user)} followers "
        f"(exactly once each: {len(delivered) == len(per_user) == count})"
    )
    proxy.faults.delay_seconds = 0


def replays(config: StackConfig, proxy: DelayProxy, wechat: FakeWeChat, count: int) -> None:
    url = f"{config.gateway_url}/sms/twilio"
    validator = RequestValidator(TWILIO_TOKEN)
    before_rasa = proxy.faults.calls["/webhooks/rest/webhook"]
    for i in range(count):
        form = {
            "MessageSid": f"SMreplay{i:010d}",
            "From": f"+86137{i:08d}",
            "To": "+15005550006",
            "Body": FAQ[i % len(FAQ)],
            "NumMedia": "0",
        }
        signature = validator.compute_signature(url, form)
        for _ in range(3):
            httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    sms_calls = proxy.faults.calls["/webhooks/rest/webhook"] - before_rasa
    for i in range(count):
        for _ in range(3):
            wechat_post(config, f"oBenchReplay{i:04d}", FAQ[i % len(FAQ)], 800000 + i)
    wechat_calls = proxy.faults.calls["/webhooks/rest/webhook"] - before_rasa - sms_calls
    print(
        f"replays: {count} Twilio messages × 3 posts → {sms_calls} Rasa calls; "
        f"{count} WeChat messages × 3 posts → {wechat_calls} Rasa calls"
    )


async def rasa_latency(config: StackConfig, count: int) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        for label, text in (("FAQ", FAQ[0]), ("estimate", ESTIMATE)):

            async def send(i: int, text: str = text, label: str = label) -> None:
                body = {"sender": f"bench-rasa-{label}-{i}", "message": text}
                (
                    await client.post(f"{config.rasa_url}/webhooks/rest/webhook", json=body)
                ).raise_for_status()

            report(f"Rasa REST alone: {label}", *await run_load(send, count, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=120)
    args = parser.parse_args()
    with TemporaryDirectory() as work:
        database_url = f"sqlite:///{Path(work) / 'bench.db'}"
        seed(database_url, "bench-password")
        wechat = FakeWeChat(WECHAT[1], WECHAT[2], clock=time.time)
        config = StackConfig(
            gateway_port=PORTS["gateway"],
            rasa_port=PORTS["rasa"],
            action_port=PORTS["action"],
            log_dir=Path(work) / "log",
            env={
                "HEALTHAID_ENV": "development",
                "HEALTHAID_DATABASE_URL": database_url,
                "HEALTHAID_SECRET_KEY": "bench-" + "k" * 40,
                "HEALTHAID_PUBLIC_BASE_URL": f"http://127.0.0.1:{PORTS['gateway']}",
                "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "WECHAT_TOKEN": WECHAT[0],
                "WECHAT_APP_ID": WECHAT[1],
                "WECHAT_APP_SECRET": WECHAT[2],
                "WECHAT_API_BASE_URL": f"http://127.0.0.1:{PORTS['wechat']}",
                "HEALTHAID_RATE_LIMIT_PER_SENDER": "100000",
                "HEALTHAID_RATE_LIMIT_GLOBAL": "100000",
                "RASA_URL": f"http://127.0.0.1:{PORTS['proxy']}",
            },
        )
        server = uvicorn.Server(
            uvicorn.Config(
                wechat.app(), host="127.0.0.1", port=PORTS["wechat"], log_level="warning"
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
        start = time.perf_counter()
        with DelayProxy(config.rasa_url, PORTS["proxy"]) as proxy, running_stack(config, 300):
            print(f"stack ready (Rasa model load included) in {time.perf_counter() - start:.1f} s")
            asyncio.run(rasa_latency(config, 40))
            asyncio.run(direct_vs_gateway(config, proxy.url, args.messages, str(int(time.time()))))
            wechat_slow_rasa(config, proxy, wechat, 20)
            replays(config, proxy, wechat, 10)
        server.should_exit = True


if __name__ == "__main__":
    main()
