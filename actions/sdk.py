"""rasa_sdk, typed: the names the actions use, with the signatures mypy --strict can check.

rasa_sdk ships no py.typed marker, so importing it directly makes every base class `Any`. Under
TYPE_CHECKING this module declares the small part we use; at run time it is rasa_sdk itself.
"""

from typing import TYPE_CHECKING, Any

EventType = dict[str, Any]
DomainDict = dict[str, Any]

if TYPE_CHECKING:

    class Tracker:
        sender_id: str
        slots: dict[str, Any]
        latest_message: dict[str, Any]
        latest_action_name: str | None
        events: list[dict[str, Any]]
        active_loop_name: str | None  # the form waiting for an answer, if any

        @classmethod
        def from_dict(cls, state: dict[str, Any]) -> "Tracker": ...

        def get_slot(self, key: str) -> Any: ...

    class CollectingDispatcher:
        messages: list[dict[str, Any]]

        def utter_message(
            self,
            text: str | None = None,
            buttons: list[dict[str, Any]] | None = None,
            **kwargs: Any,
        ) -> None: ...

    class Action:
        def name(self) -> str: ...

        async def run(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
        ) -> list[EventType]: ...

    class ValidationAction(Action):
        async def required_slots(
            self,
            domain_slots: list[str],
            dispatcher: CollectingDispatcher,
            tracker: Tracker,
            domain: DomainDict,
        ) -> list[str]: ...

    class FormValidationAction(ValidationAction): ...

    def SlotSet(key: str, value: Any = None) -> EventType: ...
    def FollowupAction(name: str) -> EventType: ...
    def SessionStarted() -> EventType: ...
    def ActionExecuted(action_name: str) -> EventType: ...
    def ActionExecutionRejected(action_name: str) -> EventType: ...

else:
    from rasa_sdk import Action, FormValidationAction, Tracker, ValidationAction
    from rasa_sdk.events import (
        ActionExecuted,
        ActionExecutionRejected,
        FollowupAction,
        SessionStarted,
        SlotSet,
    )
    from rasa_sdk.executor import CollectingDispatcher

__all__ = [
    "Action",
    "ActionExecuted",
    "ActionExecutionRejected",
    "CollectingDispatcher",
    "DomainDict",
    "EventType",
    "FollowupAction",
    "FormValidationAction",
    "SessionStarted",
    "SlotSet",
    "Tracker",
    "ValidationAction",
]
