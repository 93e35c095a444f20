"""Money and rates as Decimal. The one place where amounts are rounded to the fen (分)."""

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> Decimal:
    """Round to the fen, half up, as hospital settlement slips do. Called once per layer."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def yuan(amount: Decimal) -> str:
    """Amount as shown to a resident: 1234.50 → "1234.50"."""
    return str(to_fen(amount))  # a fen-quantized Decimal prints with exactly two places


def plain_number(amount: Decimal) -> str:
    """A figure of the documents without a needless fraction: 160000 → "160000", 0.50 → "0.5"."""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def whole_yuan(amount: Decimal) -> str:
    """A figure of the documents with its unit, as answers quote it: 1500 → "1500元"."""
    return f"{plain_number(amount)}元"


def percent(rate: Decimal) -> str:
    """0.95 → "95%", 0.125 → "12.5%"."""
    value = (rate * 100).normalize()
    text = f"{value:f}"
    return f"{text}%"


def clamp(amount: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(amount, high))
