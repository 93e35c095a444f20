"""Template messages (模板消息) with the WeChat client against the local fake of
api.weixin.qq.com: the request WeChat documents, its msgid, its refusals, and the one token
refresh the client makes for every message it sends."""

import json

import pytest

from gateway.channels.wechat.api import WeChatAPIError
from tests.gateway.fake_wechat import FakeWeChat
from tests.gateway.test_wechat_api import APP_ID, OPENID, SECRET, Clock, client

pytestmark = pytest.mark.anyio
TEMPLATE_ID = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY"
NOTICE = "65岁以上老人免费健康体检本月开始，请带身份证到村卫生室。"
DATA = {"first": "健康帮扶通知", "keyword1": NOTICE}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wechat(clock: Clock) -> FakeWeChat:
    return FakeWeChat(
        APP_ID,
        SECRET,
        clock=clock,
        followers=frozenset({OPENID, "oRefusesTemplates0000000001"}),
        templates=frozenset({TEMPLATE_ID}),
        template_refused=frozenset({"oRefusesTemplates0000000001"}),
    )


async def test_a_template_message_is_sent_as_wechat_documents_it(
    wechat: FakeWeChat, clock: Clock
) -> None:
    async with client(wechat, clock) as api:
        msgid = await api.send_template(OPENID, TEMPLATE_ID, DATA, url="https://example.org/n")

    assert wechat.templates_sent == [
        {
            "touser": OPENID,
            "template_id": TEMPLATE_ID,
            "url": "https://example.org/n",
            "data": {"first": {"value": "健康帮扶通知"}, "keyword1": {"value": NOTICE}},
        }
    ]
    assert msgid == 200_000_001  # the fake's first msgid, handed back as WeChat's
    assert NOTICE.encode("utf-8") in wechat.raw_bodies[0]  # raw UTF-8, not \uXXXX escapes
    assert wechat.delivered == []  # no customer-service message


async def test_without_a_url_none_is_sent(wechat: FakeWeChat, clock: Clock) -> None:
    async with client(wechat, clock) as api:
        await api.send_template(OPENID, TEMPLATE_ID, DATA)

    assert "url" not in json.loads(wechat.raw_bodies[0])


@pytest.mark.parametrize(
    ("openid", "template_id", "errcode"),
    [
        # a template id the account never added: 40037 invalid template_id
        (OPENID, "not-a-template-of-this-account", 40037),
        # the follower turned the account's template messages off: 43101
        ("oRefusesTemplates0000000001", TEMPLATE_ID, 43101),
        # not a follower of the account: 40003 invalid openid
        ("oNotAFollower00000000000001", TEMPLATE_ID, 40003),
    ],
)
async def test_refusals_are_raised_with_wechats_errcode_and_not_retried(
    wechat: FakeWeChat, clock: Clock, openid: str, template_id: str, errcode: int
) -> None:
    async with client(wechat, clock) as api:
        with pytest.raises(WeChatAPIError) as caught:
            await api.send_template(openid, template_id, DATA)

    assert (caught.value.errcode, caught.value.endpoint) == (errcode, "message/template/send")
    assert wechat.template_requests == 1 and wechat.templates_sent == []
    assert openid not in str(caught.value)  # the error names no follower


async def test_a_refused_token_is_refreshed_once_and_the_message_sent(
    wechat: FakeWeChat, clock: Clock
) -> None:
    async with client(wechat, clock) as api:
        await api.send_template(OPENID, TEMPLATE_ID, DATA)
        wechat.revoke_all()  # an AppSecret reset: WeChat answers 40001 to the cached token
        await api.send_template(OPENID, TEMPLATE_ID, DATA)

    assert wechat.token_requests == 2
    assert wechat.template_requests == 3  # the refused one, and the one after the refresh
    assert len(wechat.templates_sent) == 2


async def test_a_token_refused_again_after_the_refresh_is_raised(
    wechat: FakeWeChat, clock: Clock
) -> None:
    async with client(wechat, clock) as api:
        await api.access_token()
        wechat.faults = [40001, 40001]  # refused before and after the one refresh

        with pytest.raises(WeChatAPIError) as caught:
            await api.send_template(OPENID, TEMPLATE_ID, DATA)

    assert caught.value.errcode == 40001
    assert wechat.template_requests == 2  # never a third try
    assert wechat.templates_sent == []
