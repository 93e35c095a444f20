"""Finding a resident and showing their record without exposing personal data."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry import idnumber
from registry.channel_models import WeChatBinding
from registry.models import Resident, ResidentPhone
from settlement.identifiers import CATEGORY_NAMES, Category, region_name


def find_by_id_number(session: Session, id_number: str) -> Resident | None:
    query = (
        select(Resident)
        .where(Resident.id_number == idnumber.normalize(id_number))
        .options(selectinload(Resident.phones), selectinload(Resident.diseases))
    )
    return session.scalars(query).one_or_none()


def masked_card(resident: Resident) -> list[str]:
    """The record as lines of text, ID number and phones masked (ARCHITECTURE.md, 个人信息)."""
    category = CATEGORY_NAMES[resident.category]
    if resident.category is Category.EXITED:
        category += f"（{resident.exit_year}年脱贫）"
    phones = "、".join(idnumber.mask_phone(phone) for phone in resident.phone_numbers)
    return [
        f"身份证号：{idnumber.mask(resident.id_number)}",
        f"姓名：{resident.name}",
        f"手机：{phones or '无'}",
        f"地区：{region_name(resident.region)}",
        f"人员类别：{category}",
        f"村：{resident.village or '未填写'}",
        f"慢性病：{'、'.join(resident.disease_names) or '无'}",
        f"家庭医生：{resident.family_doctor or '未签约'}",
        f"接收通知：{'同意' if resident.broadcast_consent else '未同意'}",
    ]


def find_by_phone(session: Session, phone: str) -> Resident | None:
    """The resident a mainland mobile number belongs to (+86 and spaces tolerated)."""
    digits = phone.strip().replace(" ", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    query = (
        select(Resident)
        .join(ResidentPhone)
        .where(ResidentPhone.phone == digits)
        .options(selectinload(Resident.phones), selectinload(Resident.diseases))
    )
    return session.scalars(query).one_or_none()


def find_by_openid(session: Session, openid: str) -> Resident | None:
    """The resident a WeChat follower was bound to (registry.residents.bind_openid)."""
    binding = session.get(WeChatBinding, openid)
    if binding is None:
        return None
    query = (
        select(Resident)
        .where(Resident.id == binding.resident_id)
        .options(selectinload(Resident.phones), selectinload(Resident.diseases))
    )
    return session.scalars(query).one_or_none()


def bind_openid(session: Session, openid: str, resident: Resident) -> None:
    """Bind a WeChat follower to a resident (done by staff who checked the person's identity);
    binding the same OpenID again moves it."""
    binding = session.get(WeChatBinding, openid)
    if binding is None:
        session.add(WeChatBinding(openid=openid, resident_id=resident.id))
    else:
        binding.resident_id = resident.id
