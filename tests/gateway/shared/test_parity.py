"""The same behaviour from the in-process and the Redis implementations: each test body runs
on both (the `backend` fixture)."""

import time

from gateway.rasa_client import Button
from gateway.shared import FailureWindow
from tests.gateway.shared.conftest import Backend

SENDER, OTHER = "u_0123456789abcdef", "u_fedcba9876543210"
CHOICES = [Button("住院", '/inform{"setting": "inpatient"}'), Button("门诊", "/inform")]


def test_the_buttons_offered_are_remembered_per_sender(backend: Backend) -> None:
    memory = backend.memory()

    memory.remember(SENDER, CHOICES, [])

    assert memory.buttons(SENDER) == CHOICES
    assert memory.buttons(OTHER) == []


def test_pages_come_out_in_order_once_each(backend: Backend) -> None:
    memory = backend.memory()
    memory.remember(SENDER, [], ["第二页", "第三页"])

    pages = [memory.next_page(SENDER) for _ in range(3)]

    assert pages == ["第二页", "第三页", None]


def test_a_new_answer_replaces_the_old_buttons_and_pages(backend: Backend) -> None:
    memory = backend.memory()
    memory.remember(SENDER, CHOICES, ["旧的第二页"])

    memory.remember(SENDER, [], [])

    assert memory.buttons(SENDER) == []
    assert memory.next_page(SENDER) is None


def test_memory_expires(backend: Backend) -> None:
    memory = backend.memory(seconds=0.2)
    memory.remember(SENDER, CHOICES, ["第二页"])

    time.sleep(0.3)

    assert memory.buttons(SENDER) == []
    assert memory.next_page(SENDER) is None


def test_a_reply_is_kept_for_its_message_id_then_forgotten(backend: Backend) -> None:
    replies = backend.replies(seconds=0.2)

    replies.put("sms", "SM1", "<Response><Message>您好</Message></Response>")

    assert replies.get("sms", "SM1") == "<Response><Message>您好</Message></Response>"
    assert replies.get("wechat", "SM1") is None  # ids of different channels never mix
    assert replies.get("sms", "SM2") is None
    time.sleep(0.3)
    assert replies.get("sms", "SM1") is None


def test_a_limit_allows_its_amount_per_key_and_refused_events_do_not_count(
    backend: Backend,
) -> None:
    limit = backend.limit(amount=3, seconds=60)

    allowed = [limit.hit(SENDER) for _ in range(5)]

    assert allowed == [True, True, True, False, False]
    assert limit.hit(OTHER)  # another sender has a count of their own
    assert limit.reached(SENDER) and not limit.reached(OTHER)


def test_the_window_moves_on(backend: Backend) -> None:
    limit = backend.limit(amount=2, seconds=1)
    assert limit.hit(SENDER) and limit.hit(SENDER) and not limit.hit(SENDER)

    time.sleep(1.1)

    assert limit.hit(SENDER)


def test_limits_of_different_kinds_count_apart(backend: Backend) -> None:
    by_ip = backend.limit(amount=1, seconds=60, name="login-ip")
    by_user = backend.limit(amount=1, seconds=60, name="login-user")

    assert by_ip.hit("demo") and by_user.hit("demo")


def test_a_failure_window_blocks_after_its_amount_of_failures(backend: Backend) -> None:
    window = FailureWindow(backend.limit(amount=2, seconds=60, name="login-user"))

    before = window.blocked("demo_cadre")
    window.record("demo_cadre")
    after_one = window.blocked("demo_cadre")
    window.record("demo_cadre")

    assert not before and not after_one
    assert window.blocked("demo_cadre")
    assert not window.blocked("someone_else")
