"""The routes every deployment of the API has besides its services: its own description (``/openapi.json`` and a
page for people, ``/docs``) and its health (``/health``), open to anyone, on the discovery app's route table.

``GET /health`` is for load balancers, ``systemd`` or Docker health checks and uptime monitors: it asks the search
index how many works it holds and the catalogue store for one work, and answers 200 when both answer, 503 when one
does not (each check named ``ok`` or ``failing``; the reason goes to the log, never to the caller).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Literal

import pydantic
from chalice.app import Response

from consortium.http.access import ANYONE
from consortium.http.openapi import docs_page

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from consortium.bootstrap import Container
    from consortium.http.access import RouteTable

__all__ = ["HEALTH_PROBE", "HealthAnswer", "OpenApiAnswer", "add_reference_routes"]

logger = logging.getLogger(__name__)

HEALTH_PROBE = "health-probe"
"""The cluster id the store is asked for: none has it, so the answer is "none", from the store itself."""


class OpenApiAnswer(pydantic.RootModel[dict[str, Any]]):
    """The OpenAPI 3.1 document."""


class HealthAnswer(pydantic.BaseModel):
    """Whether the hub serves: ``ok`` when every check is, else ``failing`` (and the status is 503)."""

    status: Literal["ok", "failing"]
    checks: dict[str, Literal["ok", "failing"]]
    """``search_index`` (it counts its works) and ``catalogue_store`` (it looks a work up)."""


def add_reference_routes(routes: RouteTable, document: Path, container: Callable[[], Container]) -> None:
    """Add ``/openapi.json`` (``document``, the file), ``/docs`` and ``/health`` to ``routes``."""

    @routes.route("GET", "/openapi.json", ANYONE, answer=OpenApiAnswer)
    def openapi() -> Response:
        """This API's OpenAPI 3.1 document."""
        return Response(body=document.read_text(encoding="utf-8"), headers={"Content-Type": "application/json"})

    @routes.route("GET", "/docs", ANYONE, answer_type="text/html")
    def docs() -> Response:
        """The API's reference, for people."""
        page = docs_page(json.loads(document.read_text(encoding="utf-8")))
        return Response(body=page, headers={"Content-Type": "text/html; charset=utf-8"})

    @routes.route("GET", "/health", ANYONE, answer=HealthAnswer)
    def health() -> Response:
        """Whether the hub serves: its search index and its catalogue store each answer (200), or not (503)."""

        def search_index() -> object:
            return container().search_index.count()

        def catalogue_store() -> object:
            return container().cluster_store.get(HEALTH_PROBE)

        checks: dict[str, Literal["ok", "failing"]] = {}
        for check in (search_index, catalogue_store):  # a container that cannot be built fails both
            name = check.__name__
            try:
                check()
            except Exception:  # any failure is "failing"; the log keeps why
                logger.exception("health check %s failed", name)
                checks[name] = "failing"
            else:
                checks[name] = "ok"
        failing = "failing" in checks.values()
        answer = HealthAnswer(status="failing" if failing else "ok", checks=checks)
        headers: dict[str, str | list[str]] = {"Content-Type": "application/json", "Cache-Control": "no-store"}
        return Response(body=answer.model_dump_json(), status_code=503 if failing else 200, headers=headers)
