"""Identifiers shared by every part of healthaid (see ARCHITECTURE.md)."""

from enum import StrEnum
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from settlement.regions import region_infos


class Region(str):
    """A region's key: the name of its rules file policies/rules/<key>.yaml.

    The list of regions is data (settlement/regions.py), not an enum: Region("x") raises
    ValueError for a key without a rules file. `Region.all()` lists them; `display` is the full
    name (…市, …县) and `short` the name on buttons.
    """

    __slots__ = ()

    def __new__(cls, value: object) -> "Region":
        if isinstance(value, Region):
            return value
        key = str(value)
        known = region_infos()
        if key not in known:
            listed = ", ".join(known)
            raise ValueError(f"{key!r} is not a region of policies/ (known: {listed})")
        return super().__new__(cls, key)

    @classmethod
    def all(cls) -> tuple["Region", ...]:
        """Every region with a rules file, in key order."""
        return tuple(cls(key) for key in region_infos())

    @property
    def value(self) -> str:
        return str.__str__(self)

    @property
    def display(self) -> str:
        return region_infos()[self.value].name

    @property
    def short(self) -> str:
        return region_infos()[self.value].short_name

    def __repr__(self) -> str:
        return f"Region({self.value!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


def region_name(region: object) -> str:
    """The full name of a region key (rules `name`); ValueError for a key that is not a region."""
    return Region(region).display


class Category(StrEnum):
    POOR = "poor"  # 建档立卡贫困人口
    DIBAO = "dibao"  # 低保对象
    TEKUN = "tekun"  # 特困人员
    EDGE = "edge"  # 低保边缘 / 支出型困难家庭
    EXITED = "exited"  # 已脱贫 (with the year of exit)
    NONE = "none"


CATEGORY_NAMES: dict[Category, str] = {
    Category.POOR: "建档立卡贫困人口",
    Category.DIBAO: "低保对象",
    Category.TEKUN: "特困人员",
    Category.EDGE: "低保边缘/支出型困难家庭",
    Category.EXITED: "已脱贫人口",
    Category.NONE: "普通参保居民",
}


class Setting(StrEnum):
    INPATIENT = "inpatient"  # 住院
    OUTPATIENT = "outpatient"  # 普通门诊
    CHRONIC = "chronic"  # 慢性病/特殊病门诊用药


SETTING_NAMES: dict[Setting, str] = {
    Setting.INPATIENT: "住院",
    Setting.OUTPATIENT: "普通门诊",
    Setting.CHRONIC: "慢性病门诊用药",
}


class Level(StrEnum):
    VILLAGE = "village"  # 村卫生室
    TOWNSHIP = "township"  # 乡镇卫生院/社区卫生服务中心
    COUNTY = "county"  # 县/区级医院
    CITY = "city"  # 市级
    PROVINCE = "province"  # 省级及以上


LEVEL_NAMES: dict[Level, str] = {
    Level.VILLAGE: "村卫生室",
    Level.TOWNSHIP: "乡镇卫生院",
    Level.COUNTY: "县级医院",
    Level.CITY: "市级医院",
    Level.PROVINCE: "省级及以上医院",
}


class Fund(StrEnum):
    """Funds in settlement order (ARCHITECTURE.md); the order of the members is the order."""

    BASIC_INSURANCE = "basic_insurance"  # 基本医疗保险
    CRITICAL_ILLNESS = "critical_illness"  # 大病保险
    MEDICAL_ASSISTANCE = "medical_assistance"  # 医疗救助
    HEALTH_POVERTY_FUND = "health_poverty_fund"  # 健康扶贫基金: in-policy self-pay after 医疗救助
    SUPPLEMENTARY = "supplementary"  # 商业补充保险
    EMERGENCY_RELIEF = "emergency_relief"  # 疾病应急救助
    POVERTY_FUND = "poverty_fund"  # 扶贫济困医疗基金 / 医疗扶贫救助基金
    CHARITY = "charity"  # 慈善救助


FUND_NAMES: dict[Fund, str] = {
    Fund.BASIC_INSURANCE: "基本医疗保险",
    Fund.CRITICAL_ILLNESS: "大病保险",
    Fund.MEDICAL_ASSISTANCE: "医疗救助",
    Fund.HEALTH_POVERTY_FUND: "健康扶贫基金",
    Fund.SUPPLEMENTARY: "商业补充保险",
    Fund.EMERGENCY_RELIEF: "疾病应急救助",
    Fund.POVERTY_FUND: "扶贫济困医疗基金",
    Fund.CHARITY: "慈善救助",
}


class Disability(StrEnum):
    NONE = "none"
    SEVERE = "severe"  # 重度残疾人
    CHILD = "child"  # 残疾儿童
