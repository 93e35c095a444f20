"""ARCHITECTURE.md's dependency table: settlement is pure; registry never imports the web;
understanding (shared with the Rasa environment) imports no project package, and every library
it imports is installed in both environments."""

import ast
import re
import sys
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
    # understanding runs inside Rasa's Python 3.10 environment too: stdlib, PyYAML, jieba and
    # pypinyin (sounds.py), which both environments install (test below); nothing of ours,
    # nothing Rasa pins to old versions
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
    },
}
# Import name → distribution name, where they differ.
DISTRIBUTIONS = {"yaml": "PyYAML"}


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


def _requirement_names(text: str) -> set[str]:
    """Distribution names of a requirements list ('rasa==3.6.21', '"jieba>=0.42",'), lowered."""
    return {m.lower() for m in re.findall(r'^\s*"?([A-Za-z][A-Za-z0-9_.-]*)', text, re.M)}


def test_every_library_understanding_imports_is_installed_in_both_environments() -> None:
    libraries = {
        name
        for path in (ROOT / "understanding").rglob("*.py")
        for name in _imports(path)
        if name not in sys.stdlib_module_names and name not in ("understanding", "__future__")
    }
    rasa = _requirement_names((ROOT / "bot" / "requirements.txt").read_text("utf-8"))
    main = _requirement_names((ROOT / "pyproject.toml").read_text("utf-8"))
    wanted = {DISTRIBUTIONS.get(name, name).lower() for name in libraries}
    assert "pypinyin" in wanted and "jieba" in wanted  # the test sees the imports
    # PyYAML comes with Rasa itself; the rest must be asked for by name.
    assert wanted - {"pyyaml"} <= rasa
    assert wanted <= main
