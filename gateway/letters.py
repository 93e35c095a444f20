"""Long letters at the gateway: condensed for the NLU (understanding.letters), kept whole.

The whole letter, ID numbers already replaced and phone numbers masked, travels in the
metadata as `letter`, so the actions answer its other questions and a handoff keeps it
(actions/handoff.py).
"""

import re

from understanding.letters import NLU_CHARS, condense

__all__ = ["NLU_CHARS", "condense", "mask_phones"]

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    """13800001111 → 138****1111."""
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
