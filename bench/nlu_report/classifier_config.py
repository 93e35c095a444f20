"""bot/config.yml without the DomainReader: the configuration cross-validation scores.

Cross-validation scores the trained classifier against the labels of data/nlu/. The
DomainReader (bot/components/healthaid_reader.py) deliberately departs from some of those labels
(a message with 低保 in it is never off-topic, a question with an amount is a calculation), and
is judged instead by the conversation set, written by others (bench/conversations). Standard
library and PyYAML only.

    python -m bench.nlu_report.classifier_config OUT.yml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "bot" / "config.yml"
READER = "bot.components.healthaid_reader.DomainReader"


def classifier_config(config: Path = CONFIG) -> dict[str, object]:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["pipeline"] = [step for step in data["pipeline"] if step.get("name") != READER]
    return dict(data)


def main() -> None:
    out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(classifier_config(), allow_unicode=True), encoding="utf-8")


if __name__ == "__main__":
    main()
