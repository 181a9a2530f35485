"""The codes of a failed harvest (``RUN_ERRORS``): each error comes under the code a librarian should read, and
the README's table, the staff pages' English and Chinese messages and the catalogue hold the same codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from consortium.errors import ConfigError, NotFoundError, StorageError, UpstreamError, ValidationError
from consortium.harvest.runs import RUN_ERRORS, run_error_code

ROOT = Path(__file__).resolve().parents[2]


def _unreadable() -> ConfigError:
    try:
        try:
            Path("/nonexistent/books.mrc").read_bytes()
        except OSError as exc:
            raise ConfigError("source 'catalogue': cannot read /nonexistent/books.mrc") from exc
    except ConfigError as error:
        return error
    raise AssertionError("unreachable")


def _from(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UpstreamError("HTTP 503 from the member's server"), "upstream_error"),
        (StorageError("database is locked"), "storage_error"),
        (ConfigError("source 'catalogue': unknown format"), "invalid_config"),
        (ValidationError("a bad setting", field="url"), "invalid_config"),
        (NotFoundError("no member 'x'"), "not_found"),
        (_unreadable(), "file_error"),
        (PermissionError("books.mrc"), "file_error"),
        (_from(UpstreamError("cannot reach the server"), ConnectionRefusedError(111, "refused")), "upstream_error"),
        (ConnectionResetError(104, "reset by peer"), "upstream_error"),
        (RuntimeError("a bug"), "internal_error"),
    ],
)
def test_each_error_comes_under_the_code_a_librarian_should_read(error: BaseException, code: str) -> None:
    assert run_error_code(error) == code


def test_the_readme_and_both_languages_of_the_staff_pages_have_every_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| `error_code` | what happened |") :].split("\n\n", 1)[0]
    assert re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)[1:] == list(RUN_ERRORS)  # after the header
    for lang in ("en", "zh"):
        messages = json.loads((ROOT / "portal" / "assets" / "i18n" / f"staff.{lang}.json").read_text(encoding="utf-8"))
        said = {key.rsplit(".", 1)[1] for key in messages if key.startswith("staff.harvests.error.")}
        assert said == set(RUN_ERRORS), lang
