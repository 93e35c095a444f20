"""The settlement exception tree.

PolicyError        policy data is broken (file, path, reason) — found at start-up
InputError         a caller's input is impossible (unknown region, negative amount, …)
"""


class SettlementError(Exception):
    """Base of every error raised by the settlement core."""


class PolicyError(SettlementError):
    """Policy data under policies/ is invalid. Carries the file, the path inside it and why."""

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file = file
        self.path = path
        self.reason = reason
        super().__init__(f"{file}: {path or '<root>'}: {reason}")


class InputError(SettlementError):
    """An estimate request that cannot be computed; the message is one clear Chinese line."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
