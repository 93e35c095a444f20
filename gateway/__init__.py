"""The gateway: provider channels, normalisation and (later) the FastAPI app."""
