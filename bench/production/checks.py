"""After the load: what Rasa heard from each sender, read back from its trackers (in PostgreSQL
in B and C, in Rasa's memory in A, through Rasa's HTTP API either way), against what the
resident sent and was answered. 「更多」 never reaches Rasa (the gateway pages from its memory);
a number reaches it as the button's payload.
"""

import asyncio
from collections import Counter
from dataclasses import dataclass

import httpx

from bench.production.load import MORE, Cell, Conversation
from bench.production.stacks import SECRET_KEY, Target
from gateway.text import sender_key


@dataclass
class TrackerCheck:
    senders: int = 0
    lost: int = 0  # answered messages Rasa never heard
    duplicated: int = 0  # messages Rasa heard more often than they were sent
    out_of_order: int = 0  # senders whose messages Rasa heard in another order
    unreadable: int = 0  # trackers Rasa would not return
    heard: int = 0  # messages Rasa heard, in all

    def add(self, expected: list[str], heard: list[str] | None) -> None:
        self.senders += 1
        if heard is None:
            self.unreadable += 1
            return
        self.heard += len(heard)
        extra = Counter(heard) - Counter(expected)
        missing = Counter(expected) - Counter(heard)
        self.duplicated += sum(extra.values())
        self.lost += sum(missing.values())
        if not extra and not missing and heard != expected:
            self.out_of_order += 1


async def heard(client: httpx.AsyncClient, target: Target, phone: str) -> list[str] | None:
    """The texts of the sender's user events, in Rasa's order; None when unreadable."""
    key = sender_key(phone, SECRET_KEY.encode("utf-8"))
    try:
        response = await client.get(
            f"{target.rasa_url}/conversations/{key}/tracker", params={"include_events": "ALL"}
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    events = response.json().get("events") or []
    return [str(event.get("text")) for event in events if event.get("event") == "user"]


def _rasa_turns(conversation: Conversation) -> int:
    """How many of the conversation's messages were answered and were Rasa's to answer."""
    return sum(1 for t in conversation.turns if t.reply is not None and t.text != MORE)


async def check_trackers(
    target: Target, cells: list[Cell], reference_phones: dict[str, str]
) -> TrackerCheck:
    """Every conversation of `cells` (all on `target`) against the calibration's tracker of
    the same script (`reference_phones`: script name → the phone that ran it)."""
    check = TrackerCheck()
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=30) as client:

        async def read(phone: str) -> list[str] | None:
            async with gate:
                return await heard(client, target, phone)

        references = {name: await read(phone) or [] for name, phone in reference_phones.items()}
        conversations = [c for cell in cells for c in cell.conversations]
        trackers = await asyncio.gather(*(read(c.sender) for c in conversations))
    for conversation, tracker in zip(conversations, trackers, strict=True):
        expected = references[conversation.script.name][: _rasa_turns(conversation)]
        check.add(expected, tracker)
    return check
