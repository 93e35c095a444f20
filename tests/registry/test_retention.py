"""The purge of receipts and secret tokens (registry/retention.py, `healthaid purge`), on SQLite
and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import tokens
from registry.channel_models import Receipt, SecretToken
from registry.models import AuditLog
from registry.retention import Retention, RetentionError, purge
from tests.registry.conftest import run

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PHONE = "13800000001"


def arrange(session: Session) -> None:
    """Receipts 3 days, 25 hours and a minute old; tokens issued 3 h, 31 min and 10 min ago
    (expired 2½ h ago, 1 min ago, and live)."""
    for age in (timedelta(days=3), timedelta(hours=25), timedelta(minutes=1)):
        session.add(Receipt(channel="sms", provider_id=f"SM{age}", received_at=NOW - age))
    for age in (timedelta(hours=3), timedelta(minutes=31), timedelta(minutes=10)):
        tokens.issue(session, "phone", PHONE, now=NOW - age)
    session.commit()


def test_purge_deletes_old_receipts_and_long_expired_tokens_and_audits_counts(
    session: Session,
) -> None:
    arrange(session)

    purged = purge(session, Retention(), actor="cli", now=NOW)
    session.commit()

    assert (purged.receipts, purged.secret_tokens) == (1, 1)
    received = sorted(session.scalars(select(Receipt.received_at)))
    assert received == [NOW - timedelta(hours=25), NOW - timedelta(minutes=1)]
    expires = sorted(session.scalars(select(SecretToken.expires_at)))
    assert expires == [NOW - timedelta(minutes=1), NOW + timedelta(minutes=20)]
    [entry] = session.scalars(select(AuditLog))
    assert (entry.actor, entry.action, entry.detail) == ("cli", "purge", str(purged))
    assert entry.detail == "receipts=1 secret_tokens=1"  # counts only, never a value


def test_shorter_retention_deletes_more_and_live_tokens_never(session: Session) -> None:
    arrange(session)

    purged = purge(session, Retention(timedelta(days=1), timedelta(0)), actor="cli", now=NOW)
    session.commit()

    assert (purged.receipts, purged.secret_tokens) == (2, 2)
    [live] = session.scalars(select(SecretToken.token))
    assert tokens.resolve(session, live, now=NOW) == ("phone", PHONE)


def test_a_purge_with_nothing_to_delete_writes_no_audit_entry(session: Session) -> None:
    purged = purge(session, Retention(), actor="gateway", now=NOW)
    session.commit()

    assert (purged.receipts, purged.secret_tokens) == (0, 0)
    assert session.scalars(select(AuditLog)).all() == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        # nothing set: 2 days of receipts, tokens 1 hour past their expiry
        ({}, Retention(timedelta(days=2), timedelta(hours=1))),
        # both set
        (
            {"HEALTHAID_RECEIPT_RETENTION_DAYS": "7", "HEALTHAID_TOKEN_RETENTION_HOURS": "0"},
            Retention(timedelta(days=7), timedelta(0)),
        ),
        # empty means the default
        ({"HEALTHAID_RECEIPT_RETENTION_DAYS": " "}, Retention()),
    ],
)
def test_retention_from_the_environment(environ: dict[str, str], expected: Retention) -> None:
    assert Retention.from_env(environ) == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        # not a number
        ({"HEALTHAID_RECEIPT_RETENTION_DAYS": "two"}, "HEALTHAID_RECEIPT_RETENTION_DAYS"),
        # receipts for less than a day would let a provider's retry through twice
        ({"HEALTHAID_RECEIPT_RETENTION_DAYS": "0"}, "at least 1 day"),
        # negative
        ({"HEALTHAID_TOKEN_RETENTION_HOURS": "-1"}, "negative"),
    ],
)
def test_bad_retention_settings_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(RetentionError, match=message):
        Retention.from_env(environ)


@pytest.mark.usefixtures("cli_database")
def test_the_purge_command_prints_the_counts(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    session.add(
        Receipt(channel="wechat", provider_id="wx_old", received_at=now - timedelta(days=3))
    )
    session.add(Receipt(channel="wechat", provider_id="wx_new", received_at=now))
    tokens.issue(session, "openid", "oOpenId", now=now - timedelta(hours=2))
    session.commit()

    code = run("purge")

    assert code == 0
    assert capsys.readouterr().out == (
        "已清理：消息回执1条（超过2天），过期令牌1个（过期超过1小时）。\n"
    )
    assert list(session.scalars(select(Receipt.provider_id))) == ["wx_new"]


@pytest.mark.usefixtures("cli_database")
def test_the_purge_command_takes_retention_options_and_refuses_bad_ones(
    session: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session.add(Receipt(channel="sms", provider_id="SM1", received_at=datetime.now(UTC)))
    session.commit()
    monkeypatch.setenv("HEALTHAID_TOKEN_RETENTION_HOURS", "x")

    refused = run("purge")
    err = capsys.readouterr().err
    monkeypatch.delenv("HEALTHAID_TOKEN_RETENTION_HOURS")
    kept = run("purge", "--receipt-days", "1", "--token-hours", "0")

    assert refused == 1 and err.startswith("无法清理：HEALTHAID_TOKEN_RETENTION_HOURS")
    assert kept == 0
    assert "消息回执0条（超过1天），过期令牌0个（过期超过0小时）" in capsys.readouterr().out
