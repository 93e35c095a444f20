"""Publicity campaigns: finding one by its link code, WeChat QR scene or SMS keyword, and the
figures the admin page shows per campaign."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry.channel_models import Conversation, Handoff, MessageLog
from registry.people_models import Campaign
from registry.sqltypes import utcnow
from settlement.identifiers import Region

# Keywords are matched case-insensitively ("gy2024" and "GY2024" are the same SMS keyword);
# they are stored upper-case so the unique constraint sees that too.
KEYWORD_MAX = 20


def normalize_keyword(keyword: str) -> str:
    return keyword.strip().upper()


def create(
    session: Session,
    *,
    code: str,
    name: str,
    topic: str | None,
    region: Region | None,
    wechat_scene: str | None = None,
    sms_keyword: str | None = None,
) -> Campaign:
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 40:
        raise ValueError("活动代码只能包含字母、数字、- 和 _，最多40个字符")
    keyword = normalize_keyword(sms_keyword) if sms_keyword else None
    if keyword is not None and (len(keyword) > KEYWORD_MAX or " " in keyword):
        raise ValueError(f"短信关键词不能有空格，最多{KEYWORD_MAX}个字符")
    campaign = Campaign(
        code=code,
        name=name,
        topic=topic,
        region=region,
        wechat_scene=wechat_scene or None,
        sms_keyword=keyword,
    )
    session.add(campaign)
    session.flush()
    return campaign


def by_code(session: Session, code: str) -> Campaign | None:
    return session.scalars(select(Campaign).where(Campaign.code == code)).one_or_none()


def by_scene(session: Session, scene: str) -> Campaign | None:
    return session.scalars(select(Campaign).where(Campaign.wechat_scene == scene)).one_or_none()


def by_keyword(session: Session, text: str) -> Campaign | None:
    """The campaign whose SMS keyword is the whole message (after trimming), if any."""
    keyword = normalize_keyword(text)
    if not keyword or len(keyword) > KEYWORD_MAX:
        return None
    return session.scalars(select(Campaign).where(Campaign.sms_keyword == keyword)).one_or_none()


def all_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.created_at, Campaign.id)))


@dataclass
class CampaignStats:
    """What the admin page shows for one campaign. `per_day` covers `days` days up to today
    (oldest first), zeros included, so the chart has no gaps."""

    campaign: Campaign
    conversations: int = 0
    messages: int = 0
    top_topics: list[tuple[str, int]] = field(default_factory=list)
    unanswered: list[tuple[datetime, str]] = field(default_factory=list)
    open_handoffs: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)


def _messages_of(campaign_id: int) -> Select[MessageLog]:
    return (
        select(MessageLog)
        .join(Conversation, Conversation.id == MessageLog.conversation_id)
        .where(Conversation.campaign_id == campaign_id)
    )


def stats(
    session: Session, campaign: Campaign, *, days: int = 14, now: datetime | None = None
) -> CampaignStats:
    moment = now or utcnow()
    result = CampaignStats(campaign)
    in_campaign = Conversation.campaign_id == campaign.id
    result.conversations = (
        session.scalar(select(func.count(Conversation.id)).where(in_campaign)) or 0
    )
    joined = select(func.count(MessageLog.id)).join(
        Conversation, Conversation.id == MessageLog.conversation_id
    )
    result.messages = session.scalar(joined.where(in_campaign)) or 0
    topics = (
        select(MessageLog.topic, func.count(MessageLog.id))
        .join(Conversation, Conversation.id == MessageLog.conversation_id)
        .where(in_campaign, MessageLog.topic.is_not(None))
        .group_by(MessageLog.topic)
        .order_by(func.count(MessageLog.id).desc(), MessageLog.topic)
        .limit(5)
    )
    result.top_topics = [(str(topic), int(count)) for topic, count in session.execute(topics)]
    unanswered = (
        _messages_of(campaign.id)
        .where(MessageLog.status == "unanswered")
        .order_by(MessageLog.at.desc())
        .limit(20)
    )
    result.unanswered = [(row.at, row.text) for row in session.scalars(unanswered)]
    result.open_handoffs = (
        session.scalar(
            select(func.count(Handoff.id)).where(
                Handoff.campaign == campaign.code, Handoff.status == "open"
            )
        )
        or 0
    )
    result.per_day = _per_day(session, campaign.id, days, moment)
    return result


def _per_day(
    session: Session, campaign_id: int, days: int, now: datetime
) -> list[tuple[date, int]]:
    # Counted in Python: grouping by date() differs between SQLite and PostgreSQL, and a
    # campaign's messages over two weeks are few enough to fetch.
    first = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    query = _messages_of(campaign_id).where(MessageLog.at >= since).with_only_columns(MessageLog.at)
    counts = {first + timedelta(days=i): 0 for i in range(days)}
    for (moment,) in session.execute(query):
        day = moment.astimezone(now.tzinfo).date()
        if day in counts:
            counts[day] += 1
    return sorted(counts.items())
