"""One router per resource; the channel routers live with their adapters in channels/."""
