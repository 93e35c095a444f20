"""Every table of the registry, for migrations and schema checks: importing the model modules
registers their tables on the one metadata."""

from registry import broadcast_models, channel_models, outbox_models, people_models
from registry.models import Base

metadata = Base.metadata

__all__ = [
    "Base",
    "broadcast_models",
    "channel_models",
    "metadata",
    "outbox_models",
    "people_models",
]
