"""Topic names in Chinese for pages people read: treat_first → 先诊疗后付费.

The one place a topic is named is its `title` in policies/answers/national.yaml, next to the
national answer; actions/answers.py validates that file (every topic has a title, regions give
none), this module only reads the titles so the gateway can show them without the bot's code.
"""

from functools import cache
from pathlib import Path

from settlement.regions import NATIONAL, policies_dir
from settlement.yamlio import load_yaml


@cache
def _titles(directory: Path) -> dict[str, str]:
    data = load_yaml(directory / "answers" / f"{NATIONAL}.yaml") or {}
    topics = data.get("topics") or {}
    return {
        str(key): str(entry["title"])
        for key, entry in topics.items()
        if isinstance(entry, dict) and entry.get("title")
    }


def topic_titles() -> dict[str, str]:
    """Every topic's Chinese name, by key, from the policies directory in use."""
    return _titles(policies_dir().resolve())


def topic_title(key: str) -> str:
    """The topic's Chinese name; a key without one (a topic removed since it was recorded) is
    shown as it is rather than hidden or refused."""
    return topic_titles().get(key, key)
