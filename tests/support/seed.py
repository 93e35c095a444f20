"""A fresh database for the running stack: demo residents, a cadre, an admin, a campaign."""

from healthaid.stack import ROOT
from registry import cadres
from registry.db import get_engine, make_sessionmaker, upgrade
from registry.importer import import_file
from registry.people_models import Campaign
from settlement.identifiers import Region


def seed(database_url: str, password: str) -> None:
    """Migrate, import the demo residents, add a cadre of 金山镇东河村, an admin and a campaign."""
    upgrade(database_url)
    with make_sessionmaker(get_engine(database_url))() as session:
        result = import_file(session, ROOT / "demo" / "residents.csv")
        assert not result.rejected
        cadres.create(
            session,
            username="cadre_jinshan",
            display_name="金山镇干部",
            password=password,
            region=Region.GUYANG,
            villages=["金山镇东河村"],
        )
        cadres.create(
            session,
            username="admin",
            display_name="管理员",
            password=password,
            region=Region.GUYANG,
            villages=[],
            role="admin",
        )
        session.add(
            Campaign(
                code="gy-treat-first",
                name="固阳先诊疗后付费宣传",
                topic="treat_first",
                region=Region.GUYANG,
                wechat_scene="gy-treat-first",
                sms_keyword="先诊疗",
            )
        )
        session.commit()
