"""The NLU training examples as (intent, plain text), entity markup removed.

Used to check that no held-out or conversation-set message is ever trained on. Standard
library and PyYAML only (runs in either environment).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def intent_examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, plain text) for every intent example of one NLU file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in document.get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", line[2:])
                yield str(block["intent"]), text


def training_examples(nlu_dir: Path = NLU_DIR) -> list[tuple[str, str]]:
    """(intent, plain text) for every intent example under nlu_dir."""
    return [pair for path in sorted(nlu_dir.glob("*.yml")) for pair in intent_examples(path)]
