"""Chinese words residents use for regions, settings, hospital levels and categories.

NLU normally delivers the canonical value (entity synonyms); these tables catch button payloads,
raw spans the synonyms missed and free text, so a form never stores a value settlement refuses.
"""

from typing import TypeVar

from settlement.identifiers import Category, Level, Region, Setting

E = TypeVar("E", Region, Setting, Level, Category)

# Counties and districts of each city as residents name them (ARCHITECTURE.md regions).
REGION_WORDS: dict[Region, tuple[str, ...]] = {
    Region.NANTONG: (
        "南通", "海安", "如东", "如皋", "启东", "海门", "通州", "崇川", "港闸",
    ),
    Region.RONGCHANG: ("荣昌",),
    Region.GUYANG: ("固阳", "包头"),
    Region.YANCHENG: (
        "盐城", "响水", "滨海", "阜宁", "射阳", "建湖", "东台", "大丰", "亭湖", "盐都",
    ),
}  # fmt: skip

SETTING_WORDS: dict[Setting, tuple[str, ...]] = {
    Setting.CHRONIC: ("慢性病", "慢病", "特殊病", "特病", "长期吃药", "慢特病"),
    Setting.INPATIENT: ("住院", "住了院", "住过院"),
    Setting.OUTPATIENT: ("门诊", "看病拿药", "拿药", "看门诊"),
}

# Order matters: 县医院 must not be read as 乡镇 because it contains no 乡; 省 before 市 so that
# 省城 is province; 中医院 is a county hospital in these documents (县中医院, 区中医院).
LEVEL_WORDS: dict[Level, tuple[str, ...]] = {
    Level.VILLAGE: ("村卫生室", "卫生室", "村医", "村诊所"),
    Level.TOWNSHIP: ("乡镇卫生院", "卫生院", "社区", "镇医院", "乡医院"),
    Level.PROVINCE: ("省", "北京", "上海", "三甲"),
    Level.CITY: ("市医院", "市里", "市级", "市中心医院", "市人民医院"),
    Level.COUNTY: (
        "县医院", "县人民医院", "区医院", "区人民医院", "中医院", "中蒙医院",
        "县级", "区级", "县里",
    ),
}  # fmt: skip

CATEGORY_WORDS: dict[Category, tuple[str, ...]] = {
    Category.EDGE: ("低保边缘", "支出型困难"),
    Category.EXITED: ("已脱贫", "脱贫了", "脱贫户"),
    Category.TEKUN: ("特困", "五保"),
    Category.DIBAO: ("低保",),
    # Before POOR: 不是贫困户 contains 贫困户.
    Category.NONE: ("普通", "都不是", "不是贫困户"),
    Category.POOR: ("贫困户", "建档立卡", "贫困人口", "低收入"),
}


def _by_value_or_words(value: object, enum: type[E], words: dict[E, tuple[str, ...]]) -> E | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return enum(text.lower())
    except ValueError:
        pass
    for member, spellings in words.items():
        if any(word in text for word in spellings):
            return member
    return None


def to_region(value: object) -> Region | None:
    """guyang, 固阳县, 包头 → Region.GUYANG; None when the text names no region of ours."""
    return _by_value_or_words(value, Region, REGION_WORDS)


def to_setting(value: object) -> Setting | None:
    return _by_value_or_words(value, Setting, SETTING_WORDS)


def to_level(value: object) -> Level | None:
    return _by_value_or_words(value, Level, LEVEL_WORDS)


def to_category(value: object) -> Category | None:
    return _by_value_or_words(value, Category, CATEGORY_WORDS)
