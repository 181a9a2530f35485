"""The OpenAPI 3.1 document of the hub's API, made from the route tables (their body, query and answer models,
through pydantic's JSON Schema), and the page that shows it to people.

Every operation says who may call it (``security`` and the ``x-access`` extension), its parameters (path and
query, from the query model), its body, its answer, and a ``default`` answer in the apps' error shape
(:class:`~consortium.http.problems.ErrorBody`: ``Code``, ``Message`` and the stable ``code``) for the errors any
route may give (400, 401, 403, 404, 413, 429...).
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any, Final

from pydantic.json_schema import models_json_schema

from consortium.auth.callers import CallerKind
from consortium.http.problems import ErrorBody

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pydantic

    from consortium.http.access import RouteSpec, RouteTable

__all__ = ["build_document", "docs_page"]

_REF: Final = "#/components/schemas/{model}"
_SECURITY: Final = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A reader's or staff account's ID token (Cognito on AWS; `consortium login` locally).",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "A member system's API key (`consortium members key create`).",
    },
}


def _security(spec: RouteSpec) -> list[dict[str, list[str]]]:
    kinds = spec.access.callers
    options: list[dict[str, list[str]]] = []
    if CallerKind.ANONYMOUS in kinds:
        options.append({})
    if kinds & {CallerKind.READER, CallerKind.STAFF}:
        options.append({"bearer": []})
    if CallerKind.MEMBER_KEY in kinds:
        options.append({"apiKey": []})
    return options


def build_document(tables: Iterable[RouteTable], *, title: str, version: str, servers: list[str]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route of ``tables``, operations sorted by path then method."""
    specs = sorted((s for t in tables for s in t.specs.values()), key=lambda s: (s.path, s.method))
    wanted: list[tuple[type[pydantic.BaseModel], Any]] = [(ErrorBody, "serialization")]
    for spec in specs:
        for model, mode in ((spec.body, "validation"), (spec.query, "validation"), (spec.answer, "serialization")):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))
    refs, top = models_json_schema(wanted, ref_template=_REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "The consortium hub's API: search and work pages for anyone, readers' own data for "
            "readers, member libraries' sources, harvests and loans for their systems. Errors answer "
            '`{"Code": ..., "Message": ..., "code": ...}`: the message, in English, naming the field and the reason; '
            "`code`, stable, for programs (`version_conflict`, `consent_required`...), with the `field` and the "
            "records (`details`) it names.",
        },
        "servers": [{"url": url} for url in servers],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": _SECURITY},
    }


def _operation(spec: RouteSpec, refs: dict[Any, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": list(spec.tags),
        "security": _security(spec),
        "x-access": spec.access.name,
        "description": f"Who may call: {spec.access.description}.",
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _path_params(spec.path)
    ]
    if spec.query is not None:
        parameters.extend(_query_parameters(refs[(spec.query, "validation")], schemas))
    if parameters:
        operation["parameters"] = parameters
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {spec.content_types[0]: {"schema": refs[(spec.body, "validation")]}},
        }
    elif spec.content_types != ("application/json",):
        operation["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": {"type": "string"}} for kind in spec.content_types},
        }
    answer: dict[str, Any] = {"description": spec.summary}
    if spec.status != 204:
        schema = refs[(spec.answer, "serialization")] if spec.answer is not None else {"type": "string"}
        kinds = (spec.answer_type,) if isinstance(spec.answer_type, str) else spec.answer_type
        answer["content"] = {kind: {"schema": schema} for kind in kinds}
    operation["responses"] = {
        str(spec.status): answer,
        "default": {
            "description": "An error (400, 401, 403, 404, 405, 409, 413, 415, 429 or 500)",
            "content": {"application/json": {"schema": refs[(ErrorBody, "serialization")]}},
        },
    }
    return operation


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _query_parameters(ref: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    name = ref["$ref"].rsplit("/", 1)[-1]
    model = schemas[name]
    required = set(model.get("required", []))
    return [
        {"name": field, "in": "query", "required": field in required, "schema": schema}
        | ({"explode": True, "style": "form"} if schema.get("type") == "array" else {})
        for field, schema in model.get("properties", {}).items()
    ]


_LITERAL: Final = re.compile(r"``(.+?)``|`(.+?)`")
"""A literal in a docstring (reStructuredText's double backquotes, or Markdown's single ones)."""

_PAGE: Final = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
code, .path {{ font-family: ui-monospace, monospace; overflow-wrap: anywhere; }}
.op {{ border-top: 1px solid #ccc; padding: .5rem 0; }}
.method {{ display: inline-block; min-width: 4.5rem; font-weight: bold; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .1rem .6rem .1rem 0; text-align: left; vertical-align: top; }}
</style></head>
<body>
<h1>{title}</h1>
<p>{description}</p>
<p>The machine-readable document: <a href="openapi.json">openapi.json</a> (OpenAPI {version}).</p>
{sections}
</body>
</html>
"""


def _prose(text: str) -> str:
    """``text`` as HTML: escaped, a sentence (a final full stop when it has none), literals in ``code``."""
    text = text.strip()
    if text and text[-1] not in ".!?:)":
        text += "."
    return _LITERAL.sub(lambda m: f"<code>{m.group(1) or m.group(2)}</code>", html.escape(text, quote=False))


def docs_page(document: dict[str, Any]) -> str:
    """An HTML page listing every operation of ``document``: method and path, what it does, who may call it,
    its parameters and body."""
    by_tag: dict[str, list[str]] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            params = "".join(
                f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{html.escape(p['in'])}</td>"
                f"<td>{'required' if p.get('required') else ''}</td></tr>"
                for p in operation.get("parameters", [])
            )
            body = operation.get("requestBody", {}).get("content", {})
            body_line = ""
            for kind, content in body.items():
                schema = content.get("schema", {})
                label = schema.get("$ref", "").rsplit("/", 1)[-1] or schema.get("type", "")
                body_line = f"<p>Body ({html.escape(kind)}): <code>{html.escape(label)}</code></p>"
            entry = (
                f'<div class="op" id="{html.escape(operation.get("operationId", ""))}">'
                f'<span class="method">{method.upper()}</span> <span class="path">{html.escape(path)}</span>'
                f"<p>{_prose(operation.get('summary', ''))} {_prose(operation.get('description', ''))}</p>"
                f"{'<table>' + params + '</table>' if params else ''}{body_line}</div>"
            )
            for tag in operation.get("tags", ["api"]):
                by_tag.setdefault(tag, []).append(entry)
    sections = "\n".join(
        f"<section><h2>{html.escape(tag)}</h2>\n" + "\n".join(entries) + "</section>"
        for tag, entries in sorted(by_tag.items())
    )
    info = document.get("info", {})
    return _PAGE.format(
        title=html.escape(info.get("title", "API")),
        description=_prose(info.get("description", "")),
        version=html.escape(document.get("openapi", "")),
        sections=sections,
    )
