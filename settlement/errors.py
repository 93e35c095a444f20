"""The settlement exception tree.

PolicyError        policy data is broken (file, path, reason) — found at start-up
InputError         a caller's input is impossible (unknown region, negative amount, …)
ParameterNotFound  code asked for a parameter name settlement/schema.py does not define
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


class ParameterNotFound(SettlementError, KeyError):
    """Code asked for a parameter that settlement/schema.py's SPECS does not define (a typo):
    raised at once instead of reading as 「no such rule here」 (cf. OpenFisca's
    ParameterNotFoundError). A region simply without the rule gives None, never this."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown parameter {name!r} (not in settlement/schema.py SPECS)")

    def __str__(self) -> str:
        return str(self.args[0])
