"""One module per agency; `adapter_for` picks the agency's adapter (coded or declarative)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from infra.errors import MappingError
from producers.exports import read_csv, read_jsonl
from producers.mapping import MappedAdapter, load_mapping
from schemas.events import Envelope
from schemas.vocabulary import Agency


class Adapter(Protocol):
    """Turns one agency's export rows into contract events."""

    agency: Agency

    def rows(self, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """(row number, row) for each row of the export."""
        ...

    def to_events(self, row: Mapping[str, Any]) -> list[Envelope]:
        """The events one row stands for (pure); ExportRowError if it cannot."""
        ...


class DeclarativeAdapter(MappedAdapter):
    """A MappedAdapter that also reads its file format."""

    def rows(self, path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Rows as the mapping's format describes."""
        if self.mapping.format == "csv":
            return read_csv(path, self.mapping.delimiter, self.mapping.encoding)
        return read_jsonl(path)


def bundled_mapping(agency_code: str) -> Path | None:
    """The mapping file shipped for an agency, if it has one."""
    entry = resources.files("producers").joinpath(f"mappings/{agency_code}.toml")
    return Path(str(entry)) if entry.is_file() else None


def adapter_for(agency_code: str, mapping_path: Path | None = None) -> Adapter:
    """The agency's adapter: ``mapping_path`` if given, else its coded module or bundled mapping."""
    agency = Agency.from_code(agency_code)
    if mapping_path is not None:
        mapping = load_mapping(mapping_path)
        if mapping.agency != agency.code:
            raise MappingError(f"{mapping_path} is for agency {mapping.agency}, not {agency.code}")
        return DeclarativeAdapter(mapping)
    # Imported here: each coded adapter is its own module, loaded only when used.
    if agency is Agency.UK_SCA:
        from producers.agencies.uk_sca import NrmReferralAdapter  # noqa: PLC0415

        return NrmReferralAdapter()
    if agency is Agency.RO_POLICE:
        from producers.agencies.ro_police import RomanianPoliceAdapter  # noqa: PLC0415

        return RomanianPoliceAdapter()
    bundled = bundled_mapping(agency.code)
    if bundled is None:
        raise MappingError(f"no adapter or mapping for agency {agency.code}")
    return DeclarativeAdapter(load_mapping(bundled))
