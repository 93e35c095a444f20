"""Demo data for `make run` and the end-to-end tests: fictional residents, a village cadre, an
admin and a campaign. Idempotent: running it again changes nothing that is already there.

The demo password is for development only; `healthaid demo` refuses in production.
"""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import cadres
from registry.db import get_engine, make_sessionmaker, upgrade
from registry.importer import import_file
from registry.people_models import Cadre, Campaign
from registry.residents import bind_openid, find_by_id_number
from settlement.identifiers import Region

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "healthaid-demo"  # development only: printed by `make run`
# username, display name, villages
CADRE: tuple[str, str, list[str]] = ("demo_cadre", "金山镇干部", ["金山镇东河村"])
ADMIN: tuple[str, str, list[str]] = ("demo_admin", "县卫健局管理员", [])
# A fictional follower bound to 王秀英 (demo/residents.csv), for verified lookups on WeChat.
WECHAT_BINDING = ("150222195803150024", "oDemoFollowerWangXiuying")
CAMPAIGN = {
    "code": "gy-treat-first",
    "name": "固阳县先诊疗后付费宣传",
    "topic": "treat_first",
    "wechat_scene": "gy-treat-first",
    "sms_keyword": "先诊疗",
}


def _ensure_cadre(
    session: Session, spec: tuple[str, str, list[str]], password: str, role: str
) -> None:
    username, display_name, villages = spec
    if session.scalars(select(Cadre).where(Cadre.username == username)).first() is not None:
        return
    cadres.create(
        session,
        username=username,
        display_name=display_name,
        password=password,
        region=Region("guyang"),
        villages=villages,
        role=role,
    )


def seed_demo(database_url: str | None = None, password: str = DEMO_PASSWORD) -> None:
    """Migrate, import demo/residents.csv (updates in place), add the cadre, admin, campaign."""
    upgrade(database_url)
    # Disposed here: a caller that goes on running (healthaid/production.py) would otherwise
    # keep this engine's pooled connection until the garbage collector finds it.
    engine = get_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            result = import_file(session, ROOT / "demo" / "residents.csv")
            if result.rejected:
                raise RuntimeError(f"demo/residents.csv has bad rows: {result.rejected}")
            _ensure_cadre(session, CADRE, password, "cadre")
            _ensure_cadre(session, ADMIN, password, "admin")
            id_number, openid = WECHAT_BINDING
            resident = find_by_id_number(session, id_number)
            if resident is not None:
                bind_openid(session, openid, resident)
            code = CAMPAIGN["code"]
            if session.scalars(select(Campaign).where(Campaign.code == code)).first() is None:
                session.add(Campaign(region=Region("guyang"), **CAMPAIGN))
            session.commit()
    finally:
        engine.dispose()
