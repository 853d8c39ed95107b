"""Every setting and command a user meets is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_page(field: str) -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()

    assert f"`CASESYNC_{field.upper()}`" in page


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme[: readme.index("## Architecture")]

    assert "make demo" in first_block
    assert "make test" in first_block


@pytest.mark.parametrize(
    "command",
    ["casesync infra up", "casesync infra down", "casesync infra status", "casesync demo"],
)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert command in (ROOT / "README.md").read_text()
