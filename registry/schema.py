"""Every table of the registry, for migrations and schema checks: importing the model modules
registers their tables on the one metadata."""

from registry import channel_models, outbox_models, people_models
from registry.models import Base

metadata = Base.metadata

__all__ = ["Base", "channel_models", "metadata", "outbox_models", "people_models"]
