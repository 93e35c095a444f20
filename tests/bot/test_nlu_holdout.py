"""Intent accuracy on tests/nlu_holdout.yml, messages the model never saw in training.

Reads the result of `make nlu-holdout` (test-output/nlu_holdout/intent_report.json). When that
result is missing or older than the model or the holdout file, it scores the holdout itself
with the Rasa environment; without a Rasa environment or a trained model it fails.
"""

import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from bench.nlu_report import examples

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "models" / "healthaid.tar.gz"
HOLDOUT = ROOT / "tests" / "nlu_holdout.yml"
OUT = ROOT / "test-output" / "nlu_holdout"
REPORT = OUT / "intent_report.json"
MIN_ACCURACY = 0.90


def _is_fresh(report: Path) -> bool:
    if not report.exists():
        return False
    newest_input = max(MODEL.stat().st_mtime, HOLDOUT.stat().st_mtime)
    return report.stat().st_mtime >= newest_input


def _score_holdout() -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    command = [str(RASA), "test", "nlu", "--model", str(MODEL), "--nlu", str(HOLDOUT)]
    subprocess.run(
        [*command, "--out", str(OUT)], cwd=ROOT, env=env, check=True, capture_output=True
    )


def test_holdout_intent_accuracy() -> None:
    if not RASA.exists() or not MODEL.exists():
        pytest.fail("needs .venv-rasa and a trained model: run `make rasa-train`", pytrace=False)
    if not _is_fresh(REPORT):
        _score_holdout()

    report = json.loads(REPORT.read_text(encoding="utf-8"))
    accuracy = float(report["accuracy"])
    wrong = {
        name: round(row["f1-score"], 2)
        for name, row in report.items()
        if isinstance(row, dict) and row.get("f1-score", 1.0) < 0.8
    }

    print(f"holdout intent accuracy {accuracy:.3f} on {report['macro avg']['support']} messages")
    assert accuracy >= MIN_ACCURACY, f"intents scoring below 0.8 F1: {wrong}"


def _normalised(examples: Iterable[tuple[str, str]]) -> set[str]:
    return {"".join(text.split()).lower() for _, text in examples}


def test_no_holdout_message_is_in_the_training_data() -> None:
    # Short replies (「门诊」「对头」) are easy to write twice by accident; a duplicate would make
    # the held-out figure a training figure for that message.
    training = _normalised(examples.training_examples())

    overlap = sorted(_normalised(examples.intent_examples(HOLDOUT)) & training)

    assert overlap == [], f"held-out messages also in data/nlu (remove them there): {overlap}"
