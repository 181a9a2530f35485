"""Request bodies: the base every body model of the apps shares and the bounded strings they use (the route table
parses a request into its model: a bad body is a 400 naming each field)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["Identifier", "RequestBody", "Text"]

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\s\x00-\x1f\x7f-\x9f]+$")]
"""An id in a body (a reader, a member): 1 to 200 characters, no whitespace or control characters (the same rule
in the OpenAPI document as here, so a client knows before it sends)."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
"""A short text in a body (a saved query, an address, a mute key): stripped, 1 to 500 characters."""


class RequestBody(BaseModel):
    """The base of the apps' body models: a field the model does not name is an error, never ignored."""

    model_config = ConfigDict(extra="forbid")
