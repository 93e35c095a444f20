"""Who a broadcast reaches: consent, opt-outs (which win), region, villages, categories,
disease and channel; and the counts per broadcast, on SQLite and PostgreSQL."""

from sqlalchemy.orm import Session

from gateway.text import sender_key
from registry import broadcasts, residents, traffic
from registry.broadcasts import Audience
from settlement.identifiers import Category, Region
from tests.gateway.broadcasts.helpers import GUYANG, opt_out, resident, settings_for


def test_only_consenting_residents_of_the_region_count_and_opt_outs_win(
    session: Session, database_url: str
) -> None:
    settings = settings_for(database_url)
    key_of = lambda raw: sender_key(raw, settings.sender_secret)  # noqa: E731
    wanted = resident(session)
    opted = resident(session)
    resident(session, consent=False)  # never agreed: nothing
    resident(session, region=Region("nantong"))  # another region
    opt_out(session, settings, opted)

    found = broadcasts.recipients(session, Audience(GUYANG, "sms"), key_of)
    reach = broadcasts.reach(session, Audience(GUYANG, "sms"), key_of)

    assert [(r.resident_id, r.opted_out) for r in found] == [(wanted.id, False), (opted.id, True)]
    assert found[0].address == "+86" + wanted.phone_numbers[0]
    assert (reach.consenting, reach.opted_out, reach.recipients) == (2, 1, 1)


def test_villages_categories_and_disease_narrow_the_audience(
    session: Session, database_url: str
) -> None:
    settings = settings_for(database_url)
    key_of = lambda raw: sender_key(raw, settings.sender_secret)  # noqa: E731
    diabetic = resident(session, village="西坝村", category=Category.DIBAO, diseases=["糖尿病"])
    resident(session, village="西坝村", category=Category.DIBAO)  # no such disease
    resident(session, village="西坝村", category=Category.POOR, diseases=["糖尿病"])
    resident(session, village="东河村", category=Category.DIBAO, diseases=["糖尿病"])
    audience = Audience(GUYANG, "sms", ("西坝村",), (Category.DIBAO,), "糖尿病")

    found = broadcasts.recipients(session, audience, key_of)

    assert [r.resident_id for r in found] == [diabetic.id]


def test_wechat_reaches_only_bound_followers(session: Session, database_url: str) -> None:
    settings = settings_for(database_url)
    key_of = lambda raw: sender_key(raw, settings.sender_secret)  # noqa: E731
    bound = resident(session)
    resident(session)  # consents, but no WeChat binding
    residents.bind_openid(session, "oFollower000000000000000001", bound)
    traffic.opt_out(session, "sms", key_of("+86" + bound.phone_numbers[0]))  # SMS only

    found = broadcasts.recipients(session, Audience(GUYANG, "wechat"), key_of)

    assert [(r.resident_id, r.address, r.opted_out) for r in found] == [
        (bound.id, "oFollower000000000000000001", False)
    ]
