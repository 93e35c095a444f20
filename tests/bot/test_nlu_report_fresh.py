"""The committed NLU cross-validation report must belong to the current training data and meet
the issue's targets.

Re-running the five folds takes about 17 minutes, so `make test` only reads the committed report:
change data/nlu/ or bot/config.yml and the digest test fails until `make nlu-report` is run and
committed. A report below the floors (intent macro-F1 0.935, entity F1 0.90 for amount, region,
level, disease) fails; the intent target of 0.95 is printed as unmet until it is reached
(bench.nlu_report.summarise says why the floor sits under it); out_of_scope recall is reported.
"""

import json
from typing import Any

from bench.nlu_report.summarise import (
    FLOORS,
    REPORT_DIR,
    TARGET_ENTITIES,
    data_digest,
    unmet_targets,
)


def _committed_report() -> dict[str, Any]:
    report: dict[str, Any] = json.loads((REPORT_DIR / "report.json").read_text(encoding="utf-8"))
    return report


def test_report_digest_matches_the_training_data() -> None:
    committed = (REPORT_DIR / "data.sha256").read_text(encoding="utf-8").strip()

    current = data_digest()

    assert committed == current, (
        "bench/nlu_report is stale: data/nlu or bot/config.yml changed since the last "
        "`make nlu-report`. Re-run it and commit the new report."
    )


def test_committed_report_stays_above_every_floor() -> None:
    report = _committed_report()

    assert unmet_targets(report, FLOORS) == []
    assert report["data_sha256"] == data_digest()


def test_a_report_below_a_target_is_named() -> None:
    report = _committed_report()
    report["intents"] = {**report["intents"], "macro_f1": 0.9372}
    report["entity_f1"] = {**report["entity_f1"], "disease": 0.5}
    del report["entity_f1"]["level"]

    unmet = unmet_targets(report)

    assert unmet == [
        "intent macro-F1 0.9372 < 0.95",
        "entity level F1 0.0 < 0.9",
        "entity disease F1 0.5 < 0.9",
    ]


def test_every_target_entity_is_in_the_report() -> None:
    assert set(TARGET_ENTITIES) <= set(_committed_report()["entity_f1"])
