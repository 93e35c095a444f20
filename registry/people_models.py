"""Cadres (村干部/工作人员), the villages they serve, and publicity campaigns."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models import NAME_LENGTH, Base
from registry.sqltypes import RegionKey, UTCDateTime, utcnow
from settlement.identifiers import Region


class Cadre(Base):
    """Someone who signs in to the widget: a village cadre, or an admin (role)."""

    __tablename__ = "cadres"
    __table_args__ = (CheckConstraint("role IN ('cadre', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    role: Mapped[str] = mapped_column(String(16), default="cadre")
    region: Mapped[Region] = mapped_column(RegionKey())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    villages: Mapped[list["CadreVillage"]] = relationship(
        back_populates="cadre", cascade="all, delete-orphan", order_by="CadreVillage.id"
    )

    @property
    def village_names(self) -> list[str]:
        return [entry.village for entry in self.villages]


class CadreVillage(Base):
    """A village whose residents a cadre may look up."""

    __tablename__ = "cadre_villages"
    __table_args__ = (UniqueConstraint("cadre_id", "village"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id", ondelete="CASCADE"))
    village: Mapped[str] = mapped_column(String(NAME_LENGTH))

    cadre: Mapped[Cadre] = relationship(back_populates="villages")


class Campaign(Base):
    """A publicity campaign: a link /c/{code}, a WeChat QR scene and an SMS keyword, one topic."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    topic: Mapped[str | None] = mapped_column(String(40))
    region: Mapped[Region | None] = mapped_column(RegionKey())
    wechat_scene: Mapped[str | None] = mapped_column(String(64), unique=True)
    sms_keyword: Mapped[str | None] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
