"""The data path reads one way: infra at the base, schemas -> producers -> consumers, flows."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "producers", "consumers", "flows", "infra")
# What each package may import from the others; infra.cli is the composition root (anything).
ALLOWED = {
    "infra": set(),
    "schemas": {"infra"},
    "producers": {"infra", "schemas"},
    "consumers": {"infra", "schemas"},
    "flows": {"infra", "schemas", "consumers"},
}
COMPOSITION_ROOTS = {"infra/cli.py"}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_sits_below_it(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in COMPOSITION_ROOTS:
            continue
        forbidden = _imported_packages(path) - ALLOWED[package] - {package}
        assert not forbidden, f"{relative} imports {sorted(forbidden)}"
