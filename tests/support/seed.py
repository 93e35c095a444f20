"""A fresh database for the running stack: the demo data of `make run`, with a test password."""

from healthaid.demo import seed_demo


def seed(database_url: str, password: str) -> None:
    seed_demo(database_url, password)
