"""One access token for every gateway process (getStableAccessToken), refreshed at most once
when WeChat refuses it, and the fake's stable_token protocol itself."""

import httpx
import pytest

from gateway.channels.wechat.api import WeChatAPI, WeChatAPIError
from tests.gateway.fake_wechat import FakeWeChat
from tests.gateway.test_wechat_api import APP_ID, OPENID, SECRET, Clock

pytestmark = pytest.mark.anyio


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wechat(clock: Clock) -> FakeWeChat:
    return FakeWeChat(APP_ID, SECRET, clock=clock)


def process(wechat: FakeWeChat, clock: Clock) -> WeChatAPI:
    """One gateway process's client: its own cache, the same Official Account."""
    transport = httpx.ASGITransport(app=wechat.app())
    return WeChatAPI(APP_ID, SECRET, "http://fake-wechat", transport, clock=clock)


async def stable_token(wechat: FakeWeChat, **body: object) -> dict[str, object]:
    fields = {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET, **body}
    transport = httpx.ASGITransport(app=wechat.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://f") as http:
        answer: dict[str, object] = (await http.post("/cgi-bin/stable_token", json=fields)).json()
    return answer


async def test_two_processes_share_one_token_and_never_invalidate_each_other(
    wechat: FakeWeChat, clock: Clock
) -> None:
    async with process(wechat, clock) as first, process(wechat, clock) as second:
        await first.send_text(OPENID, "第一条")
        await second.send_text(OPENID, "第二条")
        clock.now += 6 * 60  # past GET /cgi-bin/token's 5-minute grace for a replaced token
        await first.send_text(OPENID, "第三条")
        await second.send_text(OPENID, "第四条")

        assert await first.access_token() == await second.access_token()
    assert wechat.token_requests == 2  # one per process, both answered with the same token
    assert wechat.send_requests == len(wechat.delivered) == 4  # no 40001, no resend


async def test_a_token_refused_twice_is_refreshed_once_then_the_error_is_raised(
    wechat: FakeWeChat, clock: Clock
) -> None:
    async with process(wechat, clock) as api:
        await api.access_token()
        wechat.revoke_all()  # an AppSecret reset: the cached token is dead
        wechat.faults = [40001]  # …and WeChat refuses the fresh one as well

        with pytest.raises(WeChatAPIError) as caught:
            await api.send_text(OPENID, "住院能报多少")

    assert caught.value.errcode == 40001
    assert wechat.token_requests == 2  # the first token and one refresh, no loop
    assert wechat.send_requests == 2
    assert wechat.delivered == []


async def test_normal_mode_returning_the_refused_token_forces_one_refresh(
    wechat: FakeWeChat, clock: Clock
) -> None:
    async with process(wechat, clock) as api:
        refused = await api.access_token()
        wechat.faults = [40001]  # WeChat refuses a token that stable_token still hands out

        await api.send_text(OPENID, "住院能报多少")

        assert await api.access_token() != refused
    assert wechat.forced_refreshes == 1
    assert len(wechat.delivered) == 1


async def test_45015_is_raised_at_once_without_a_token_refresh(
    wechat: FakeWeChat, clock: Clock
) -> None:
    wechat.enforce_window = True
    wechat.user_message(OPENID)
    clock.now += 48 * 3600 + 1

    async with process(wechat, clock) as api:
        with pytest.raises(WeChatAPIError) as caught:
            await api.send_text(OPENID, "您的报销结果")

    assert caught.value.errcode == 45015
    assert caught.value.errmsg.startswith("response out of time limit")
    assert (wechat.token_requests, wechat.send_requests) == (1, 1)


async def test_fake_normal_mode_repeats_the_token_until_its_last_five_minutes(
    wechat: FakeWeChat, clock: Clock
) -> None:
    first = await stable_token(wechat)
    clock.now += 3600
    again = await stable_token(wechat)
    clock.now += 3600 - 300  # 5 minutes left
    renewed = await stable_token(wechat)

    assert again == {"access_token": first["access_token"], "expires_in": 3600}
    assert renewed["access_token"] != first["access_token"]
    assert renewed["expires_in"] == 7200
    assert str(first["access_token"]) in wechat.stable_tokens  # the old one still works


async def test_fake_force_refresh_retires_the_token_at_once_but_not_twice_in_30_s(
    wechat: FakeWeChat, clock: Clock
) -> None:
    old = (await stable_token(wechat))["access_token"]
    forced = (await stable_token(wechat, force_refresh=True))["access_token"]
    clock.now += 10
    too_soon = (await stable_token(wechat, force_refresh=True))["access_token"]

    assert forced != old and old not in wechat.stable_tokens
    assert too_soon == forced  # 「连续使用该模式时，请保证调用时间隔至少为30s，否则不会刷新」
    assert wechat.forced_refreshes == 1


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"appid": ""}, 41002),  # appid missing
        ({"secret": ""}, 41004),  # appsecret missing
        ({"grant_type": "password"}, 40002),  # invalid grant_type
        ({"appid": "wx0000000000000000"}, 40013),  # invalid appid
        ({"secret": "wrong"}, 40125),  # invalid appsecret
    ],
)
async def test_fake_stable_token_refusals(
    wechat: FakeWeChat, body: dict[str, str], errcode: int
) -> None:
    answer = await stable_token(wechat, **body)

    assert answer["errcode"] == errcode
    assert "access_token" not in answer
