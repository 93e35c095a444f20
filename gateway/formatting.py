"""Rasa's replies as each channel shows them, remembering buttons and pages for the next turn.

SMS and WeChat have no buttons: they become numbered choices (回复1 住院 回复2 门诊) and the
digit reply is mapped back (`gateway.turns`). SMS pages hold at most 3 segments; the rest wait
for 「更多」.
"""

from gateway.channels.sms_format import numbered_choices, paginate
from gateway.memory import SenderMemory
from gateway.rasa_client import Button, Reply

SMS_PAGE_SEGMENTS = 3


def _with_choices(answer: list[Reply]) -> tuple[str, list[Button]]:
    text = "\n".join(reply.text for reply in answer if reply.text)
    buttons = [button for reply in answer for button in reply.buttons]
    if buttons:
        choices = numbered_choices([(b.title, b.payload) for b in buttons])
        text = f"{text}\n{choices}" if text else choices
    return text, buttons


def sms_first_page(answer: list[Reply], memory: SenderMemory, key: str) -> str:
    text, buttons = _with_choices(answer)
    pages = paginate(text, SMS_PAGE_SEGMENTS)
    memory.remember(key, buttons, pages[1:])
    return pages[0]


def wechat_text(answer: list[Reply], memory: SenderMemory, key: str) -> str:
    # A passive reply or customer-service message holds 2048 bytes; answers are far shorter,
    # and WeChat shows long text well, so no pages here.
    text, buttons = _with_choices(answer)
    memory.remember(key, buttons, [])
    return text


def web_replies(answer: list[Reply], memory: SenderMemory, key: str) -> list[dict[str, object]]:
    buttons = [button for reply in answer for button in reply.buttons]
    memory.remember(key, buttons, [])
    return [
        {
            "text": reply.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons],
        }
        for reply in answer
    ]
