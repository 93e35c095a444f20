"""An in-memory Registry with the registry's own rules: tokens, the 5-failure lock, audit."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from actions.registry_port import CadreRecord, ResidentRecord
from settlement.identifiers import Category, Disability, Region

LOCK = timedelta(minutes=30)


@dataclass
class AuditRow:
    actor: str
    action: str
    detail: str
    resident_id: int | None


@dataclass
class FakeRegistry:
    senders: dict[str, ResidentRecord] = field(default_factory=dict)  # sender token → resident
    id_tokens: dict[str, ResidentRecord] = field(default_factory=dict)
    cadres: dict[int, CadreRecord] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    locked_until: dict[str, datetime] = field(default_factory=dict)
    audits: list[AuditRow] = field(default_factory=list)
    handoffs: list[dict[str, object]] = field(default_factory=list)

    def resident_for_sender(self, sender_token: str, now: datetime) -> ResidentRecord | None:
        return self.senders.get(sender_token)

    def resident_for_id_token(self, id_token: str, now: datetime) -> ResidentRecord | None:
        return self.id_tokens.get(id_token)

    def lock_state(self, sender_key: str, now: datetime) -> datetime | None:
        until = self.locked_until.get(sender_key)
        return until if until is not None and until > now else None

    def record_failure(self, sender_key: str, now: datetime) -> int:
        self.failures[sender_key] = self.failures.get(sender_key, 0) + 1
        if self.failures[sender_key] >= 5:
            self.locked_until[sender_key] = now + LOCK
        return self.failures[sender_key]

    def clear_failures(self, sender_key: str) -> None:
        if sender_key not in self.locked_until:
            self.failures.pop(sender_key, None)

    def cadre(self, cadre_id: int) -> CadreRecord | None:
        return self.cadres.get(cadre_id)

    def request_handoff(
        self,
        *,
        region: Region | None,
        sender_key: str,
        channel: str,
        campaign: str | None,
        summary: str,
        contact_token: str | None = None,
    ) -> int:
        self.handoffs.append(
            {
                "region": region,
                "sender_key": sender_key,
                "channel": channel,
                "campaign": campaign,
                "summary": summary,
                "contact_token": contact_token,
            }
        )
        return len(self.handoffs)

    def audit(
        self, actor: str, action: str, detail: str = "", resident_id: int | None = None
    ) -> None:
        self.audits.append(AuditRow(actor, action, detail, resident_id))


def guyang_resident(**overrides: object) -> ResidentRecord:
    """王秀英 of 下湿壕村, 固阳县: 建档立卡, hypertension, a family doctor (fictional)."""
    values: dict[str, object] = {
        "id": 7,
        "region": Region("guyang"),
        "category": Category.POOR,
        "village": "下湿壕村",
        "exit_year": None,
        "disability": Disability.NONE,
        "family_doctor": "李医生",
        "diseases": ("高血压",),
        "masked_id": "150222********0016",
        "id_tail": "010016",
        "card": (
            "身份证号：150222********0016",
            "姓名：王秀英",
            "手机：138****0001",
            "地区：固阳县",
            "人员类别：建档立卡贫困人口",
            "村：下湿壕村",
            "慢性病：高血压",
            "家庭医生：李医生",
        ),
        "estimate_fields": {"region": "guyang", "category": "poor", "disability": "none"},
        "chronic_paid": {"高血压": Decimal("300.00")},
    }
    values.update(overrides)
    return ResidentRecord(**values)  # type: ignore[arg-type]
