"""Twilio SMS channel (see `webhook`)."""

from gateway.channels.twilio.webhook import SIGNATURE_HEADER, parse, public_url, twiml, verify

__all__ = ["SIGNATURE_HEADER", "parse", "public_url", "twiml", "verify"]
