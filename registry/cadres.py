"""Cadre accounts: argon2id password hashes, villages they may look up, roles."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.people_models import Cadre, CadreVillage
from settlement.identifiers import Region

_HASHER = PasswordHasher()
# A real hash of a random password: verifying against it when the user does not exist costs
# the same time as a real check, so response time does not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("no such user: timing equaliser")


def create(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    region: Region,
    villages: list[str],
    role: str = "cadre",
) -> Cadre:
    if role not in ("cadre", "admin"):
        raise ValueError(f"unknown role {role!r}")
    if len(password) < 8:
        raise ValueError("密码至少8位")
    cadre = Cadre(
        username=username,
        display_name=display_name,
        password_hash=_HASHER.hash(password),
        role=role,
        region=region,
        villages=[CadreVillage(village=v) for v in dict.fromkeys(villages)],
    )
    session.add(cadre)
    return cadre


def get(session: Session, cadre_id: int) -> Cadre | None:
    query = select(Cadre).where(Cadre.id == cadre_id).options(selectinload(Cadre.villages))
    return session.scalars(query).one_or_none()


def authenticate(session: Session, username: str, password: str) -> Cadre | None:
    """The cadre when the password is right, else None (in constant-ish time)."""
    query = select(Cadre).where(Cadre.username == username).options(selectinload(Cadre.villages))
    cadre = session.scalars(query).one_or_none()
    try:
        _HASHER.verify(cadre.password_hash if cadre else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return cadre


def may_look_up(cadre: Cadre, village: str) -> bool:
    """A cadre sees only the residents of their own villages; an admin's region is their scope."""
    return village in cadre.village_names
