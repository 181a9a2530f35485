"""The one-off file source ``consortium import`` harvests: :func:`import_source`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pydantic

from consortium.errors import ConfigError
from consortium.members import FileContents, Source, SourceFormat, SourceProtocol

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["import_source"]


def import_source(path: Path, fmt: SourceFormat, *, increments: bool = False, holdings: Path | None = None) -> Source:
    """A one-off file source for ``consortium import`` (its checkpoint is kept under ``import-<file name>``);
    ``increments``: its file holds only new and changed records (none is withdrawn by absence); ``holdings``: a file
    of its records' holdings records (MFHD)."""
    if fmt is SourceFormat.OAI_DC:
        raise ConfigError("format 'oai_dc' is harvested over OAI-PMH; import a saved response as 'oai-pmh'")
    protocol = SourceProtocol.KBART_FILE if fmt is SourceFormat.KBART else SourceProtocol.MARC_FILE
    source_id = "import-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in path.name.lower())[:50]
    contents = FileContents.INCREMENTS if increments else None
    try:
        return Source(id=source_id, protocol=protocol, path=path, format=fmt, file=contents, holdings=holdings)
    except pydantic.ValidationError as exc:  # a KBART file is never increments, nor has it holdings records
        option = "--holdings" if holdings is not None and "holdings" in str(exc) else "--increments"
        raise ConfigError(f"{option}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from exc
