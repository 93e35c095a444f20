"""Broadcast tests' helpers: residents with and without consent, opt-outs, a broadcast."""

from sqlalchemy.orm import Session

from gateway.settings import Settings
from gateway.text import sender_key
from registry import broadcasts, campaigns, traffic
from registry.broadcast_models import Broadcast
from registry.broadcasts import Audience
from registry.models import Resident
from settlement.identifiers import Category, Region
from tests.gateway.conftest import make_settings
from tests.registry.factories import add_resident, make_id_number, make_phone

TEXT = "【固阳县卫健委】65岁以上老人免费健康体检本月开始，请带身份证到村卫生室。回复TD退订"
GUYANG = Region("guyang")


def settings_for(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"sender_key": "a-sender-key-for-broadcast-tests-0000000"}
    return make_settings(url, **(values | overrides))


def phone_key(settings: Settings, phone: str) -> str:
    return sender_key("+86" + phone, settings.sender_secret)


def resident(session: Session, *, consent: bool = True, **fields: object) -> Resident:
    values: dict[str, object] = {"region": GUYANG, "category": Category.POOR, "village": "东河村"}
    values |= fields
    region = values["region"]
    assert isinstance(region, Region)
    return add_resident(
        session,
        id_number=make_id_number(region),
        phones=(make_phone(),),
        broadcast_consent=consent,
        **values,
    )


def opt_out(session: Session, settings: Settings, person: Resident) -> None:
    traffic.opt_out(session, "sms", phone_key(settings, person.phone_numbers[0]))


def broadcast_to(session: Session, audience: Audience | None = None, text: str = TEXT) -> Broadcast:
    campaign = campaigns.by_code(session, "tijian") or campaigns.create(
        session, code="tijian", name="免费体检提醒", topic=None, region=GUYANG
    )
    return broadcasts.create(
        session,
        campaign=campaign,
        text=text,
        audience=audience or Audience(GUYANG, "sms"),
        actor="cadre:1",
    )
