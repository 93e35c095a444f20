"""gateway.messages: the error tree and the personal-data-free repr."""

from datetime import UTC, datetime

import pytest

from gateway.messages import (
    PERSONAL_FIELDS,
    BadSignature,
    InboundError,
    InboundMessage,
    MalformedPayload,
    StaleTimestamp,
)


@pytest.mark.parametrize("error", [BadSignature, StaleTimestamp, MalformedPayload])
def test_every_refusal_is_an_inbound_error(error: type[Exception]) -> None:
    assert issubclass(error, InboundError)


def test_repr_leaks_neither_sender_nor_text() -> None:
    message = InboundMessage(
        channel="sms",
        provider_message_id="SM1",
        sender="+8613800138000",
        text="身份证150222198001011237",
        kind="text",
        received_at=datetime(2025, 3, 1, tzinfo=UTC),
    )

    shown = repr(message)

    assert "13800138000" not in shown
    assert "150222" not in shown
    assert "SM1" in shown
    assert {"sender", "text"} == PERSONAL_FIELDS


def test_messages_are_immutable() -> None:
    message = InboundMessage(
        "web", "w1", "cadre-7", "你好", "text", datetime(2025, 1, 1, tzinfo=UTC)
    )

    with pytest.raises(AttributeError):
        message.text = "changed"  # type: ignore[misc]
