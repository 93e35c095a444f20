"""ARCHITECTURE.md's dependency table: settlement is pure; registry never imports the web;
understanding (shared with the Rasa environment) imports no project package."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    # settlement: stdlib, pydantic, PyYAML only
    "settlement": {
        "fastapi",
        "sqlalchemy",
        "alembic",
        "rasa_sdk",
        "registry",
        "gateway",
        "actions",
        "httpx",
        "starlette",
    },
    # registry may use settlement, never the web or the bot
    "registry": {"fastapi", "rasa_sdk", "gateway", "actions", "starlette"},
    # understanding runs inside Rasa's Python 3.10 environment too: stdlib and PyYAML only
    "understanding": {
        "settlement",
        "registry",
        "gateway",
        "actions",
        "rasa",
        "rasa_sdk",
        "pydantic",
        "sqlalchemy",
        "fastapi",
        "jieba",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_the_architecture_allows(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {file: bad for file, bad in offenders.items() if bad} == {}
