"""Tokens, verification locks, cadres and handoffs, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from registry import cadres, handoffs, tokens, verification
from registry.residents import bind_openid, find_by_openid, find_by_phone
from settlement.identifiers import Region
from tests.registry.factories import add_resident, make_id_number

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_an_id_token_resolves_until_it_expires(session: Session) -> None:
    id_number = make_id_number()
    token = tokens.issue(session, "id_number", id_number, now=NOW)
    session.commit()

    assert token.startswith("idtk") and len(token) == 20
    assert id_number not in token
    assert tokens.resolve(session, token, now=NOW + timedelta(minutes=29)) == (
        "id_number",
        id_number,
    )
    assert tokens.resolve(session, token, now=NOW + timedelta(minutes=30)) is None
    assert tokens.resolve(session, "idtk0000000000000000", now=NOW) is None


def test_expired_tokens_are_purged(session: Session) -> None:
    tokens.issue(session, "phone", "13800000001", now=NOW - timedelta(hours=1))
    live = tokens.issue(session, "phone", "13800000002", now=NOW)
    session.commit()

    assert tokens.purge_expired(session, now=NOW) == 1
    assert tokens.resolve(session, live, now=NOW) == ("phone", "13800000002")


def test_five_failures_lock_for_30_minutes_and_then_the_count_restarts(session: Session) -> None:
    sender = "u_" + "a" * 64
    counts = [verification.record_failure(session, sender, now=NOW) for _ in range(5)]
    session.commit()

    assert counts == [1, 2, 3, 4, 5]
    assert verification.lock_state(session, sender, now=NOW) == NOW + timedelta(minutes=30)
    verification.clear(session, sender)  # a correct answer during the lock does not lift it
    assert verification.lock_state(session, sender, now=NOW + timedelta(minutes=29)) is not None
    assert verification.lock_state(session, sender, now=NOW + timedelta(minutes=30)) is None
    assert verification.record_failure(session, sender, now=NOW + timedelta(minutes=31)) == 1


def test_a_correct_answer_forgets_earlier_failures(session: Session) -> None:
    sender = "u_" + "b" * 64
    verification.record_failure(session, sender, now=NOW)
    verification.clear(session, sender)
    session.commit()

    assert verification.record_failure(session, sender, now=NOW) == 1


def test_a_cadre_signs_in_with_the_right_password_only(session: Session) -> None:
    cadres.create(
        session,
        username="li",
        display_name="李书记",
        password="correct horse",
        region=Region("guyang"),
        villages=["金山镇东河村"],
    )
    session.commit()

    cadre = cadres.authenticate(session, "li", "correct horse")
    assert cadre is not None and cadre.village_names == ["金山镇东河村"]
    assert not cadre.password_hash.startswith("correct")
    assert cadres.authenticate(session, "li", "wrong password") is None
    assert cadres.authenticate(session, "nobody", "correct horse") is None
    assert cadres.may_look_up(cadre, "金山镇东河村")
    assert not cadres.may_look_up(cadre, "兴顺西镇西坝村")


def test_a_handoff_gets_a_reference_number_and_is_listed_for_its_region(session: Session) -> None:
    made = handoffs.request(
        session,
        region="guyang",
        sender_key="u_x",
        channel="sms",
        campaign=None,
        summary="想问慢性病鉴定",
    )
    handoffs.request(
        session, region="nantong", sender_key="u_y", channel="web", campaign="nt1", summary=""
    )
    session.commit()

    assert made.id > 0
    assert [h.summary for h in handoffs.open_handoffs(session, "guyang")] == ["想问慢性病鉴定"]
    assert len(handoffs.open_handoffs(session)) == 2


def test_a_resident_is_found_by_phone_with_or_without_plus86(session: Session) -> None:
    resident = add_resident(session, phones=["13912345678"])
    session.commit()

    assert find_by_phone(session, "+8613912345678") is resident
    assert find_by_phone(session, "139 1234 5678") is resident
    assert find_by_phone(session, "13900000000") is None


def test_a_wechat_follower_is_bound_to_a_resident_and_can_be_moved(session: Session) -> None:
    first = add_resident(session)
    second = add_resident(session, phones=["13912340000"])
    bind_openid(session, "oFollower", first)
    session.commit()

    assert find_by_openid(session, "oFollower") is first
    bind_openid(session, "oFollower", second)
    session.commit()
    assert find_by_openid(session, "oFollower") is second
    assert find_by_openid(session, "oNobody") is None
