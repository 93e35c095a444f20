"""One folder per provider; each verifies, then parses into `gateway.messages.InboundMessage`."""
