"""Scripted SMS conversations in a closed loop: each from a phone of its own, signed Twilio
posts, the next message only after the reply, as a resident does.

What a post may meet, and what the simulated provider and resident then do:
- no HTTP answer or not 200 (a gateway killed mid-turn, HAProxy's 502): Twilio's retry, the
  same MessageSid posted again to the public address a second later;
- 「系统繁忙」 or an empty reply: the resident sends the same text again, a new message;
- the expected reply: the next turn; any other reply: the conversation is abandoned (its
  state has diverged) and counted as misread (a 「2」 or 「更多」) or as a wrong reply.
Every fourth conversation also posts a copy of each message (the same MessageSid), 0.2 s later,
to another gateway process (the same one in A and B), as a provider retry: the copy must
carry the original's reply, and Rasa must hear the message once.
"""

import asyncio
import itertools
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from bench.production.stacks import TWILIO_TOKEN, Target
from gateway import replies

DEADLINE = 8.0  # the gateway's deadline for Rasa, and the issue's
TURN_BUDGET = 45.0  # a turn not answered within this is lost
PAUSE = 1.0  # before a provider retry or a resident's second try
COPY_DELAY = 0.2
MORE, NUMBERS = "更多", frozenset({"1", "2", "3", "4", "5"})


@dataclass(frozen=True)
class Script:
    name: str
    turns: tuple[tuple[str, str], ...]  # (what the resident sends, a fact its reply holds)


SCRIPTS = (
    Script(
        "estimate by buttons, its detail paged",
        (
            ("住院花了2万能报多少", "哪个地方"),
            ("2", "哪一级医院"),  # 荣昌
            ("2", "个人自付1924.00元"),  # 乡镇卫生院
            ("详细", "基本医疗保险"),
            (MORE, "大病保险"),
            (MORE, ""),
        ),
    ),
    Script(
        "FAQ, a region by button",
        (
            ("大病保险怎么报", "哪个地区"),
            ("2", "荣昌区农村贫困人口大病保险"),
            ("先诊疗后付费是什么", "先诊疗后付费"),
            ("家庭医生怎么签约", "签约服务"),
        ),
    ),
    Script(
        "estimate, detail paged to the end, FAQ",
        (
            ("住院花了2万能报多少", "哪个地方"),
            ("3", "个人自付1000.00元"),  # 固阳
            ("详细", "基本医疗保险"),
            (MORE, "大病保险"),
            (MORE, "医疗扶贫救助基金"),
            ("一站式结算在哪", "一站式"),
        ),
    ),
)


@dataclass
class TurnRecord:
    sender: str
    text: str
    started: float  # time.monotonic()
    finished: float = 0.0
    reply: str | None = None  # None: lost
    posts: int = 0
    transport_errors: int = 0  # no answer or not 200: the provider retried
    busy: int = 0  # 「系统繁忙」: the resident tried again
    empty: int = 0  # an empty TwiML response: the resident tried again
    copy_reply: str | None = None  # the provider retry's reply, when one was sent

    @property
    def latency(self) -> float:
        return self.finished - self.started


@dataclass
class Conversation:
    script: Script
    sender: str
    turns: list[TurnRecord] = field(default_factory=list)
    outcome: str = "complete"  # complete | cut (the cell's time was up) | misread | wrong | lost


class Sms:
    """Signed Twilio posts to one configuration."""

    _ids = itertools.count(1)

    def __init__(self, client: httpx.AsyncClient, target: Target) -> None:
        self.client, self.target = client, target
        self.signed_url = f"{target.public_url}/sms/twilio"  # what the gateways verify
        self.validator = RequestValidator(TWILIO_TOKEN)

    def form(self, sender: str, text: str) -> dict[str, str]:
        return {
            "MessageSid": f"SMbench{next(self._ids):026d}",
            "AccountSid": "AC" + "0" * 32,
            "From": sender,
            "To": "+15005550006",
            "Body": text,
            "NumMedia": "0",
        }

    async def post(self, base_url: str, form: dict[str, str]) -> str | None:
        """The reply's text ("" for an empty response); None when no 200 came back."""
        signature = self.validator.compute_signature(self.signed_url, form)
        try:
            response = await self.client.post(
                f"{base_url}/sms/twilio", data=form, headers={"X-Twilio-Signature": signature}
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))

    async def _copy(self, base_url: str, form: dict[str, str]) -> str | None:
        await asyncio.sleep(COPY_DELAY)
        return await self.post(base_url, form)

    async def turn(self, sender: str, text: str, copy_to_other: bool, number: int) -> TurnRecord:
        record = TurnRecord(sender, text, time.monotonic())
        gateways = self.target.live_gateways()
        first, other = gateways[number % len(gateways)], gateways[(number + 1) % len(gateways)]
        form, url = self.form(sender, text), first if copy_to_other else self.target.public_url
        copy: asyncio.Task[str | None] | None = None
        if copy_to_other:
            copy = asyncio.ensure_future(self._copy(other, form))
        while time.monotonic() - record.started < TURN_BUDGET:
            record.posts += 1
            reply = await self.post(url, form)
            if reply is None:
                record.transport_errors += 1
                url = self.target.public_url  # Twilio retries the number's webhook URL
            elif reply in ("", replies.BUSY):
                record.empty += reply == ""
                record.busy += reply == replies.BUSY
                form, url = self.form(sender, text), self.target.public_url
            else:
                record.reply, record.finished = reply, time.monotonic()
                break
            await asyncio.sleep(PAUSE)
        if copy is not None:
            record.copy_reply = await copy
        return record


@dataclass
class Cell:
    """One configuration at one concurrency for a bounded number of conversations and time."""

    target: str
    concurrency: int
    conversations: list[Conversation] = field(default_factory=list)
    elapsed: float = 0.0
    started: float = 0.0  # time.monotonic()
    events: dict[str, float] = field(default_factory=dict)  # fault name → time.monotonic()

    @property
    def turns(self) -> list[TurnRecord]:
        return [t for c in self.conversations for t in c.turns]

    def outcomes(self) -> Counter[str]:
        return Counter(c.outcome for c in self.conversations)


def judge(text: str, reply: str, expected: str) -> str:
    """'ok', 'misread' (a 「2」 or 「更多」 answered as something else) or 'wrong'."""
    if reply == expected:
        return "ok"
    return "misread" if text in NUMBERS or text == MORE else "wrong"


async def converse(
    sms: Sms, conversation: Conversation, reference: list[str], cap: float, copies: bool
) -> None:
    for number, (text, _) in enumerate(conversation.script.turns):
        if time.monotonic() > cap:
            conversation.outcome = "cut"
            return
        record = await sms.turn(conversation.sender, text, copies, number)
        conversation.turns.append(record)
        if record.reply is None:
            conversation.outcome = "lost"
            return
        verdict = judge(text, record.reply, reference[number])
        if verdict != "ok":
            conversation.outcome = verdict
            return


async def run_cell(
    target: Target,
    references: dict[str, list[str]],
    senders: Iterator[str],
    concurrency: int,
    max_conversations: int,
    seconds: float,
    faults: Callable[[Cell], Coroutine[Any, Any, None]] | None = None,
) -> Cell:
    """`concurrency` conversations at a time, scripts in turn, until `max_conversations` have
    started or `seconds` have passed (a conversation then stops after its current turn)."""
    cell = Cell(target.name, concurrency, started=time.monotonic())
    cap = cell.started + seconds
    started = itertools.count()
    limits = httpx.Limits(max_connections=4 * concurrency + 8)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        sms = Sms(client, target)

        async def worker() -> None:
            while time.monotonic() < cap and (index := next(started)) < max_conversations:
                script = SCRIPTS[index % len(SCRIPTS)]
                conversation = Conversation(script, next(senders))
                cell.conversations.append(conversation)
                await converse(sms, conversation, references[script.name], cap, index % 4 == 0)

        tasks = [worker() for _ in range(concurrency)]
        if faults is not None:
            tasks.append(faults(cell))
        await asyncio.gather(*tasks)
    cell.elapsed = time.monotonic() - cell.started
    return cell


async def calibrate(
    target: Target, senders: Iterator[str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each script once, one turn at a time: the replies every later run must repeat, and
    the phone that ran each script (its tracker is the reference for Rasa's side)."""
    references: dict[str, list[str]] = {}
    phones: dict[str, str] = {}
    async with httpx.AsyncClient(timeout=60) as client:
        sms = Sms(client, target)
        for script in SCRIPTS:
            phones[script.name] = sender = next(senders)
            references[script.name] = [
                (await sms.turn(sender, text, False, 0)).reply or "" for text, _ in script.turns
            ]
    return references, phones


def missing_facts(references: dict[str, list[str]]) -> list[str]:
    """Turns whose calibrated reply lacks the fact the script expects (the bot changed)."""
    return [
        f"{script.name}, turn {n + 1} 「{text}」: no 「{fact}」 in {reply!r}"
        for script in SCRIPTS
        for n, ((text, fact), reply) in enumerate(
            zip(script.turns, references[script.name], strict=True)
        )
        if fact not in reply or not reply
    ]
