"""Structured logs: one JSON object per line, hashed sender ids, never a message body at INFO.

Call sites log an event name and `extra` fields; `sender` values must already be keyed hashes
(`gateway.text.sender_key`), shortened here because a prefix is enough to follow one sender.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any

LOGGER_NAME = "healthaid.gateway"
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def short(sender_key: str) -> str:
    return sender_key[:14]


def configure() -> None:
    """JSON lines on stderr for the gateway's logger; idempotent.

    httpx logs every request URL at INFO, and WeChat's URLs carry the AppSecret and access
    token: it stays at WARNING whatever the root level is.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logger = logging.getLogger(LOGGER_NAME)
    if not any(getattr(h, "_healthaid", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JSONFormatter())
        handler._healthaid = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)
