"""A fake Rasa that opens a handoff on 「人工」 as action_handoff does (through the action
server's registry, with the turn's sender token), a signed-in cadre's inbox actions, and small
readers for the tests."""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.handoff import RECORDED
from actions.registry_sql import SqlRegistry
from registry.channel_models import Handoff, HandoffMessage
from registry.db import get_engine, make_sessionmaker
from settlement.identifiers import Region
from tests.gateway.fake_rasa import FakeRasa, echo

ASK_FOR_A_PERSON = "人工"


def open_handoffs_on_request(rasa: FakeRasa, database_url: str) -> None:
    """From now on `rasa` answers 「人工」 by recording a handoff for the sender, in 固阳县."""
    registry = SqlRegistry(make_sessionmaker(get_engine(database_url)))

    def answer(text: str) -> list[dict[str, Any]]:
        body = rasa.received[-1]  # the webhook body being answered
        if text != ASK_FOR_A_PERSON:
            return echo(text)
        meta = body["metadata"]
        registry.request_handoff(
            region=Region("guyang"),
            sender_key=body["sender"],
            channel=meta["channel"],
            campaign=meta.get("campaign"),
            summary="地区：固阳县",
            contact_token=meta.get("sender_token"),
        )
        return [{"text": RECORDED}]

    rasa.answer = answer


@dataclass(frozen=True)
class SignedInCadre:
    """A cadre of 固阳县 signed in to a browser of their own; `csrf` is their inbox page's token."""

    browser: httpx.AsyncClient
    csrf: str
    id: int

    async def inbox(self, seen: str | None = None) -> dict[str, Any]:
        """The inbox's JSON poll; with `seen` (the last answer's fingerprint) as the page polls."""
        params = {"seen": seen} if seen is not None else {}
        answer: dict[str, Any] = (await self.browser.get("/api/handoffs", params=params)).json()
        return answer

    async def reply(self, handoff_id: int, text: str, **extra: Any) -> httpx.Response:
        """Send `text` from the inbox; `extra` goes into the JSON body too (`via_phone=True`)."""
        return await self.browser.post(
            f"/api/handoffs/{handoff_id}/messages",
            json={"text": text, **extra},
            headers={"X-CSRF-Token": self.csrf},
        )

    async def close(self, handoff_id: int) -> httpx.Response:
        """Close the request from the inbox."""
        return await self.browser.post(
            f"/api/handoffs/{handoff_id}/close", headers={"X-CSRF-Token": self.csrf}
        )


def the_handoff(db: Session) -> Handoff:
    db.expire_all()
    return db.scalars(select(Handoff).order_by(Handoff.id.desc())).first()  # type: ignore[return-value]


def lines(db: Session, handoff_id: int) -> list[tuple[str, str]]:
    db.expire_all()
    query = (
        select(HandoffMessage.direction, HandoffMessage.text)
        .where(HandoffMessage.handoff_id == handoff_id)
        .order_by(HandoffMessage.id)
    )
    return [(direction, text) for direction, text in db.execute(query)]
