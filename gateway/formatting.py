"""Rasa's replies as each channel shows them, remembering buttons and pages for the next turn.

SMS and WeChat have no buttons: they become numbered choices (回复1 住院 回复2 门诊) and the
digit reply is mapped back (`gateway.turns`). SMS pages hold at most 3 segments; the rest wait
for 「更多」.
"""

from starlette.concurrency import run_in_threadpool

from gateway.channels.sms_format import numbered_choices, paginate
from gateway.logs import get_logger, short
from gateway.rasa_client import Button, Reply
from gateway.shared import SenderMemory, SharedStateError

SMS_PAGE_SEGMENTS = 3


def _with_choices(answer: list[Reply]) -> tuple[str, list[Button]]:
    text = "\n".join(reply.text for reply in answer if reply.text)
    buttons = [button for reply in answer for button in reply.buttons]
    if buttons:
        choices = numbered_choices([(b.title, b.payload) for b in buttons])
        text = f"{text}\n{choices}" if text else choices
    return text, buttons


async def _remember(
    memory: SenderMemory, key: str, buttons: list[Button], pages: list[str]
) -> None:
    # In a worker thread: the Redis implementation blocks. If the store is down the answer
    # still goes out; the resident then types the choice in words.
    try:
        await run_in_threadpool(memory.remember, key, buttons, pages)
    except SharedStateError as error:
        get_logger().warning(
            "shared_state_error", extra={"sender": short(key), "error": str(error)}
        )


async def sms_first_page(answer: list[Reply], memory: SenderMemory, key: str) -> str:
    text, buttons = _with_choices(answer)
    pages = paginate(text, SMS_PAGE_SEGMENTS)
    await _remember(memory, key, buttons, pages[1:])
    return pages[0]


async def wechat_text(answer: list[Reply], memory: SenderMemory, key: str) -> str:
    # A passive reply or customer-service message holds 2048 bytes; answers are far shorter,
    # and WeChat shows long text well, so no pages here.
    text, buttons = _with_choices(answer)
    await _remember(memory, key, buttons, [])
    return text


async def web_replies(
    answer: list[Reply], memory: SenderMemory, key: str
) -> list[dict[str, object]]:
    buttons = [button for reply in answer for button in reply.buttons]
    await _remember(memory, key, buttons, [])
    return [
        {
            "text": reply.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons],
        }
        for reply in answer
    ]
