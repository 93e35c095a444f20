"""POST /api/v1/estimate: the same request fields and JSON result as `healthaid estimate --json`."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from settlement.errors import InputError
from settlement.estimate import EstimateRequest, estimate, to_json
from settlement.identifiers import (
    CATEGORY_NAMES,
    LEVEL_NAMES,
    SETTING_NAMES,
    Category,
    Level,
    Region,
    Setting,
)

router = APIRouter(prefix="/api/v1", tags=["estimate"])


def examples() -> dict[str, Any]:
    """Two request examples for the API page, for the first two regions of policies/."""
    shown: dict[str, Any] = {}
    for region, (setting, level, total, category) in zip(
        Region.all(),
        (("inpatient", "county", "20000", "poor"), ("outpatient", "township", "500", "dibao")),
        strict=False,
    ):
        summary = (
            f"{region.display}{CATEGORY_NAMES[Category(category)]}，"
            f"{LEVEL_NAMES[Level(level)]}{SETTING_NAMES[Setting(setting)]}{total}元"
        )
        value = {"region": region.value, "setting": setting, "level": level, "total": total}
        shown[f"{region.value}_{setting}"] = {
            "summary": summary,
            "value": value | {"category": category},
        }
    return shown


def field_errors(field: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": [{"field": field, "msg": message}]}, status_code=422)


@router.post(
    "/estimate",
    summary="估算一次就医的个人自付金额（一站式结算）",
    responses={422: {"description": "输入有误：每个字段一条说明"}},
)
def estimate_endpoint(
    request: Annotated[EstimateRequest, Body(openapi_examples=examples())],
) -> Any:
    """Runs the settlement chain layer by layer. Amounts in the answer are strings with two
    decimals (元); every layer names its source document and clause."""
    try:
        return to_json(estimate(request))
    except InputError as error:
        return field_errors(error.field, error.message)
