"""DomainReader: the Rasa side of understanding/ (runs in the Rasa environment, Python 3.10).

Placed last in the NLU pipeline. For every message it
- adds the entities understanding.reader finds deterministically (region with every county and
  town, setting, level, category, disease, amount with its sign, digits, place outside our
  regions), replacing DIET's entity of the same kind; DIET's stay where the reader found none;
- corrects the intent by understanding.reader.correct_intent (an amount spent is a calculation,
  a rule question without an amount is not, a health question is never off-topic).
Not trainable: the vocabulary is read from policies/ when the model loads, so changing a word
needs no retraining.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from understanding.reader import correct_intent, is_canonical, read

EXTRACTOR = "DomainReader"
READ_KINDS = ("region", "setting", "level", "category", "disease", "amount", "digits", "place")


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
    ],
    is_trainable=False,
)
class DomainReader(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DomainReader:
        return cls()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if not text or text.startswith("/"):
            return
        found = read(text)
        kinds = {f.entity for f in found}
        spans = [(f.start, f.end) for f in found]
        kept = [
            e
            for e in message.get(ENTITIES, [])
            if e.get("entity") not in kinds
            and is_canonical(str(e.get("entity")), str(e.get("value")))
            # 「里头有八千是目录外的」: DIET's amount over our out-of-catalogue part is no bill.
            and not any(_overlaps(e, start, end) for start, end in spans)
        ]
        ours = [
            {
                "entity": f.entity,
                "value": f.value,
                "start": f.start,
                "end": f.end,
                "confidence_entity": 1.0,
                "extractor": EXTRACTOR,
            }
            for f in found
        ]
        message.set(
            ENTITIES, sorted(kept + ours, key=lambda e: e.get("start", 0)), add_to_output=True
        )
        intent = message.get(INTENT) or {}
        ranking = [
            (str(r.get(INTENT_NAME_KEY)), float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
            for r in message.get(INTENT_RANKING_KEY) or []
        ]
        better = correct_intent(text, intent.get(INTENT_NAME_KEY), ranking, found)
        if better is not None and better != intent.get(INTENT_NAME_KEY):
            confidence = dict(ranking).get(better, 0.0)
            message.set(
                INTENT,
                {INTENT_NAME_KEY: better, PREDICTED_CONFIDENCE_KEY: max(confidence, 0.9)},
                add_to_output=True,
            )


def _overlaps(entity: dict[str, Any], start: int, end: int) -> bool:
    return int(entity.get("start", -1)) < end and start < int(entity.get("end", -1))
