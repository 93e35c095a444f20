"""The list of regions is data: one rules file per region, policies/rules/<key>.yaml.

A county that wants its own region adds files under policies/ (docs/adding-a-region.md); no
Python names a region. The directory is the repository's policies/ unless HEALTHAID_POLICIES
names another (a deployment's own policies, or a test's temporary copy).
"""

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

NATIONAL = "national"
POLICIES_ENV = "HEALTHAID_POLICIES"


def policies_dir() -> Path:
    """policies/ of the repository, or the directory named by $HEALTHAID_POLICIES."""
    override = os.environ.get(POLICIES_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "policies"


@dataclass(frozen=True)
class RegionInfo:
    """A region's key (the rules file's name), full name (…市) and short name (on buttons)."""

    key: str
    name: str
    short_name: str


@cache
def _region_infos(directory: Path) -> dict[str, RegionInfo]:
    found: list[tuple[float, str, RegionInfo]] = []
    for path in sorted((directory / "rules").glob("*.yaml")):
        if path.stem == NATIONAL:
            continue
        with path.open(encoding="utf-8") as handle:
            head = yaml.safe_load(handle) or {}
        name = str(head.get("name") or path.stem)
        info = RegionInfo(path.stem, name, str(head.get("short_name") or name))
        order = head.get("order")
        found.append((float(order) if isinstance(order, int) else float("inf"), path.stem, info))
    return {key: info for _, key, info in sorted(found)}


def region_infos() -> dict[str, RegionInfo]:
    """Every region of the policies directory, by key, in the rules files' `order` (then key).

    Only the rules files' `name` and `short_name` are read here (cheap, at first use); the full
    validation is settlement.policy.load_policies, which also checks both names are present.
    """
    # Keyed by the variable's text, not the resolved path: Region() calls this for every value
    # it validates, and resolving a path is a system call.
    return _infos_for(os.environ.get(POLICIES_ENV) or "")


@cache
def _infos_for(override: str) -> dict[str, RegionInfo]:
    return _region_infos(policies_dir().resolve())
