"""The member API (Chalice): what a member library's systems and administrators do for their own member only —
its API keys today; its sources, harvests, quarantine, loans and statistics as they are added.

Every route has ``{member_id}`` in its path and the route table (:mod:`consortium.http.access`) lets through only
that member's API key or staff: a member never reaches another's. Keys are managed by a member administrator
(a staff token), not by a key: a leaked key cannot mint more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic
from chalice.app import Chalice, Response

from consortium.auth.api_keys import Label
from consortium.http import LIBRARY, MEMBER_ADMIN, LambdaContainer, RequestBody, route_table

app = Chalice(app_name="consortium-members")
container = LambdaContainer()
routes = route_table(app, container, "members")


# -- bodies and answers


class NewKey(RequestBody):
    """The body of ``POST /members/{member_id}/keys``."""

    label: Label
    """What the key is for (e.g. ``ILS loan feed``)."""


class KeyView(pydantic.BaseModel):
    """An API key as listed: never its secret or hash."""

    key_id: str
    member: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class NewKeyAnswer(KeyView):
    """A new key, with the whole key shown this once."""

    key: str


class KeysAnswer(pydantic.BaseModel):
    """The member's API keys."""

    member: str
    keys: list[KeyView]


def _known(member_id: str) -> str:
    container().registry.get(member_id)  # a 404 naming the member when it has left the registry
    return member_id


# -- routes


@routes.route("GET", "/members/{member_id}/keys", LIBRARY, answer=KeysAnswer)
def list_keys(member_id: str) -> dict[str, Any]:
    """The member's API keys (revoked ones too)."""
    keys = container().api_keys.list(_known(member_id))
    return {"member": member_id, "keys": [key.public() for key in keys]}


@routes.route("POST", "/members/{member_id}/keys", MEMBER_ADMIN, body=NewKey, answer=NewKeyAnswer, status=201)
def create_key(member_id: str, body: NewKey) -> Response:
    """Make an API key for the member's systems; the whole key is in this answer only."""
    issued = container().api_keys.create(_known(member_id), body.label)
    return Response(body={**issued.key.public(), "key": issued.secret}, status_code=201)


@routes.route("DELETE", "/members/{member_id}/keys/{key_id}", MEMBER_ADMIN, answer=KeyView)
def revoke_key(member_id: str, key_id: str) -> dict[str, Any]:
    """Revoke one of the member's API keys."""
    return container().api_keys.revoke(_known(member_id), key_id).public()
