"""The Chalice apps under ``functions/`` as the tests load and call them: a fresh module per test (a new Lambda
environment), and a JSON client over Chalice's test client."""

from __future__ import annotations

import importlib.util
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from chalice.test import Client

from consortium.auth.callers import StaffRole
from consortium.http.server import unload_module

if TYPE_CHECKING:
    from collections.abc import Iterator

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"


def load_function(name: str) -> ModuleType:
    """A fresh import of ``functions/<name>/app.py`` (each call is a new Lambda environment); undo it with
    :func:`~consortium.http.server.unload_module` (closes the container it built)."""
    spec = importlib.util.spec_from_file_location(f"{name}_function_app", FUNCTIONS / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


class Api:
    """An app's module and its test client, with JSON in and out, calling as one caller (anonymous unless
    made by :meth:`as_reader`, :meth:`as_library` or :meth:`as_staff`)."""

    def __init__(self, module: ModuleType, client: Client, headers: dict[str, str] | None = None) -> None:
        self.module = module
        self.client = client
        self.headers = dict(headers or {})

    def _as(self, headers: dict[str, str]) -> Any:
        return type(self)(self.module, self.client, headers)

    def as_reader(self, reader_id: str, member: str | None = "riverside") -> Any:
        """The same API called with ``reader_id``'s token (from the hub's local signing key)."""
        token = self.module.container().token_issuer.issue(reader_id, member=member)
        return self._as({"Authorization": f"Bearer {token}"})

    def as_staff(self, account: str, member: str, *roles: StaffRole) -> Any:
        """The same API called with a staff token of ``member`` (a member administrator unless ``roles``)."""
        token = self.module.container().token_issuer.issue(
            account, member=member, roles=roles or (StaffRole.MEMBER_ADMIN,)
        )
        return self._as({"Authorization": f"Bearer {token}"})

    def as_library(self, member: str) -> Any:
        """The same API called with a new API key of ``member``."""
        issued = self.module.container().api_keys.create(member, "tests")
        return self._as({"X-Api-Key": issued.secret})

    def as_anonymous(self) -> Any:
        """The same API called without credentials."""
        return self._as({})

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The status and the decoded JSON body (``None`` when empty) of one request with a JSON body."""
        kwargs: dict[str, Any] = {"headers": dict(self.headers)}
        if body is not None:
            kwargs = {"headers": {**self.headers, "Content-Type": "application/json"}, "body": json.dumps(body)}
        response = getattr(self.client.http, method)(path, **kwargs)
        return response.status_code, (json.loads(response.body) if response.body else None)

    def raw(self, method: str, path: str, body: str | None = None, content_type: str | None = None) -> Any:
        """The response of one request with a raw body of ``content_type`` (JSON by default)."""
        kwargs: dict[str, Any] = {"headers": dict(self.headers)}
        if body is not None:
            kwargs = {"headers": {**self.headers, "Content-Type": content_type or "application/json"}, "body": body}
        return getattr(self.client.http, method)(path, **kwargs)


A = TypeVar("A", bound=Api)


@contextmanager
def serve(name: str, api: type[A]) -> Iterator[A]:
    """A fresh ``functions/<name>`` app behind Chalice's test client (environment read now), as ``api``; its
    container (database files) closed after."""
    module = load_function(name)
    try:
        with Client(module.app, stage_name="test", project_dir=str(FUNCTIONS / name)) as client:
            yield api(module, client)
    finally:
        unload_module(module)
