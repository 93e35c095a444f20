"""The customer-service client against a local fake of api.weixin.qq.com."""

import asyncio
import json
import re
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from gateway.channels.wechat.api import EXPIRY_MARGIN_SECONDS, WeChatAPI, WeChatAPIError
from tests.gateway.fake_wechat import FakeWeChat

pytestmark = pytest.mark.anyio

APP_ID, SECRET = "wx2c2769f8efd9abc2", "app-secret-for-tests"
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
ANSWER = "您的住院费用预计自付1,234.50元（不超过总费用的10%）。"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    """A hand-moved clock, so token expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wechat(clock: Clock) -> FakeWeChat:
    return FakeWeChat(APP_ID, SECRET, clock=clock, followers=frozenset({OPENID}))


def client(
    wechat: FakeWeChat, clock: Clock, app_id: str = APP_ID, secret: str = SECRET
) -> WeChatAPI:
    transport = httpx.ASGITransport(app=wechat.app())
    return WeChatAPI(app_id, secret, "http://fake-wechat", transport, clock=clock)


async def test_sends_chinese_text_as_raw_utf8_json(wechat: FakeWeChat, clock: Clock) -> None:
    async with client(wechat, clock) as api:
        await api.send_text(OPENID, ANSWER)

    assert wechat.delivered == [{"touser": OPENID, "msgtype": "text", "text": {"content": ANSWER}}]
    assert ANSWER.encode("utf-8") in wechat.raw_bodies[0]  # not \\uXXXX escapes
    assert b"\\u" not in wechat.raw_bodies[0]


async def test_token_is_fetched_once_and_cached(wechat: FakeWeChat, clock: Clock) -> None:
    async with client(wechat, clock) as api:
        await api.send_text(OPENID, "第一条")
        clock.now += 3600
        await api.send_text(OPENID, "第二条")

    assert wechat.token_requests == 1
    assert len(wechat.delivered) == 2


async def test_token_is_refreshed_before_it_expires(wechat: FakeWeChat, clock: Clock) -> None:
    async with client(wechat, clock) as api:
        first = await api.access_token()
        clock.now += wechat.token_ttl - EXPIRY_MARGIN_SECONDS
        await api.send_text(OPENID, "两小时后")
        second = await api.access_token()

    assert wechat.token_requests == 2
    assert first != second


async def test_revoked_token_errcode_40001_is_refreshed_and_retried(
    wechat: FakeWeChat, clock: Clock
) -> None:
    async with client(wechat, clock) as api:
        await api.send_text(OPENID, "第一条")
        wechat.revoke_all()  # e.g. another server fetched a token long ago
        await api.send_text(OPENID, "第二条")

    assert wechat.token_requests == 2
    assert [m["text"]["content"] for m in wechat.delivered] == ["第一条", "第二条"]


async def test_expired_token_errcode_42001_is_refreshed_and_retried(
    wechat: FakeWeChat,
) -> None:
    server_clock, client_clock = Clock(), Clock()
    wechat.clock = server_clock
    async with client(wechat, client_clock) as api:
        await api.send_text(OPENID, "第一条")
        server_clock.now += wechat.token_ttl + 1  # WeChat's clock disagrees with ours
        await api.send_text(OPENID, "第二条")

    assert wechat.token_requests == 2
    assert len(wechat.delivered) == 2


async def test_concurrent_senders_share_one_token_request(wechat: FakeWeChat, clock: Clock) -> None:
    async with client(wechat, clock) as api:
        await asyncio.gather(*(api.send_text(OPENID, f"第{i}条") for i in range(5)))

    assert wechat.token_requests == 1
    assert len(wechat.delivered) == 5


@pytest.mark.parametrize(
    ("app_id", "secret", "errcode"),
    [
        # wrong AppID: 40013 invalid appid
        ("wx0000000000000000", SECRET, 40013),
        # wrong AppSecret: 40125 invalid appsecret
        (APP_ID, "wrong-secret", 40125),
    ],
)
async def test_wrong_credentials_raise_a_clear_error(
    wechat: FakeWeChat, clock: Clock, app_id: str, secret: str, errcode: int
) -> None:
    async with client(wechat, clock, app_id, secret) as api:
        with pytest.raises(WeChatAPIError, match=f"token failed: errcode {errcode}") as caught:
            await api.send_text(OPENID, ANSWER)

    assert caught.value.errcode == errcode
    assert secret not in str(caught.value)
    assert wechat.delivered == []


async def test_other_errcodes_are_raised_without_retry(wechat: FakeWeChat, clock: Clock) -> None:
    async with client(wechat, clock) as api:
        with pytest.raises(WeChatAPIError) as caught:
            await api.send_text("o-not-a-follower", ANSWER)

    assert caught.value.errcode == 40003
    assert caught.value.endpoint == "message/custom/send"
    assert wechat.token_requests == 1


def _mock(handler_body: bytes, status: int = 200) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
        return httpx.Response(status, content=handler_body)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        # an HTML error page from a proxy
        (b"<html>502</html>", 200, WeChatAPIError),
        # JSON but not an object
        (b"[]", 200, WeChatAPIError),
        # an HTTP error status
        (b"", 503, httpx.HTTPStatusError),
    ],
)
async def test_unexpected_answers(body: bytes, status: int, error: type[Exception]) -> None:
    api = WeChatAPI(APP_ID, SECRET, "http://x", _mock(body, status))
    async with api:
        with pytest.raises(error):
            await api.send_text(OPENID, ANSWER)


async def test_token_answer_without_token_is_an_error() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json={"expires_in": 7200}))
    async with WeChatAPI(APP_ID, SECRET, "http://x", transport) as api:
        with pytest.raises(WeChatAPIError, match="no access_token"):
            await api.access_token()


async def test_fake_answers_errors_as_wechat_does() -> None:
    # HTTP 200 with an errcode, JSON under a non-standard content-type parameter.
    fake = FakeWeChat(APP_ID, SECRET, clock=Clock())
    transport = httpx.ASGITransport(app=fake.app())

    async with httpx.AsyncClient(transport=transport, base_url="http://f") as http:
        response = await http.get("/cgi-bin/token", params={"grant_type": "x"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; encoding=utf-8"
    answer = json.loads(response.content)
    assert answer["errcode"] == 40002
    rid = r"[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}"
    assert re.fullmatch(f"invalid grant_type rid: {rid}", answer["errmsg"])


@pytest.fixture
def loopback(wechat: FakeWeChat) -> Iterator[str]:
    """The fake served by uvicorn on a real 127.0.0.1 socket (ephemeral port)."""

    server = uvicorn.Server(
        uvicorn.Config(wechat.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


async def test_over_a_real_loopback_socket(wechat: FakeWeChat, clock: Clock, loopback: str) -> None:
    # An explicit transport: no HTTP(S)_PROXY from the environment may divert loopback traffic.
    transport = httpx.AsyncHTTPTransport()
    async with WeChatAPI(APP_ID, SECRET, loopback, transport, clock=clock) as api:
        await api.send_text(OPENID, ANSWER)

    assert wechat.delivered[0]["text"]["content"] == ANSWER
