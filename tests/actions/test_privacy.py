"""No full ID number or phone number in any event or message, whatever the scenario."""

import json
import re

from actions.estimate import ActionEstimate, ValidateEstimateForm
from actions.fallback import ActionFallbackSearch
from actions.handoff import ActionHandoff
from actions.lookup import ActionLookupResident, ActionMyBenefits, ValidateVerifyForm
from actions.registry_port import CadreRecord
from actions.sdk import Action, Tracker
from actions.session import ActionSessionStart
from actions.topics import ActionAnswerTopic
from settlement.identifiers import Region
from tests.actions.fakes import FakeRegistry, guyang_resident
from tests.actions.helpers import entity, message, run, tracker

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
TOKEN = "stk_0a1b2c3d4e5f6a7b"
ID_TOKEN = "idtk0f3a9c2b71d4e5a6"
META = {"channel": "sms", "sender_token": TOKEN, "campaign": None}


def _scenarios(registry: FakeRegistry) -> list[tuple[Action, Tracker]]:
    typed = "我电话13800001111 身份证150222195803010016"  # a resident types both anyway
    cadre_meta = {"channel": "web", "cadre_id": 3}
    return [
        (ActionFallbackSearch(), tracker(message(typed, "out_of_scope", metadata=META))),
        (ActionHandoff(registry), tracker(message(typed, "human_handoff", metadata=META))),
        (ActionAnswerTopic(registry), tracker(message(typed, "ask_premium", metadata=META))),
        (
            ValidateVerifyForm(registry),
            tracker(
                message("010016", "provide_digits", [entity("digits", "010016")], META),
                {"requested_slot": "digits"},
                "verify_form",
            ),
        ),
        (
            ActionMyBenefits(registry),
            tracker(message("查", "my_benefits", metadata=META), {"verified": True}),
        ),
        (
            ActionEstimate(registry),
            tracker(
                message("好", "affirm", metadata=META),
                {"verified": True, "setting": "inpatient", "level": "county", "total": "5000.00"},
            ),
        ),
        (
            ValidateEstimateForm(),
            tracker(
                message(typed, "inform", [entity("amount", "13800001111")], META),
                {"requested_slot": "total"},
                "estimate_form",
            ),
        ),
        (
            ActionLookupResident(registry),
            tracker(
                message(ID_TOKEN, "lookup_resident", [entity("id_token", ID_TOKEN)], cadre_meta)
            ),
        ),
        (ActionSessionStart(), tracker(message("/session_start", "session_start", metadata=META))),
    ]


def test_no_id_number_or_phone_in_any_event_or_message() -> None:
    registry = FakeRegistry(
        senders={TOKEN: guyang_resident()},
        id_tokens={ID_TOKEN: guyang_resident()},
        cadres={3: CadreRecord(3, "刘村干", "cadre", Region("guyang"), ("下湿壕村",))},
    )
    for action, state in _scenarios(registry):
        events, messages = run(action, state)
        dumped = json.dumps([events, messages], ensure_ascii=False)
        assert not ID_NUMBER.search(dumped), (action.name(), dumped)
        assert not PHONE.search(dumped), (action.name(), dumped)
    for row in registry.handoffs:
        assert not PHONE.search(str(row)) and not ID_NUMBER.search(str(row))
