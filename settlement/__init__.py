"""The settlement core: policy data in, one-stop settlement (一站式结算) out.

Pure Python: no FastAPI, SQLAlchemy or rasa_sdk may be imported here (tests/test_layers.py).
"""
