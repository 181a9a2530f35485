"""Making pydantic models from values already valid, faster than ``model_construct``.

Bulk clustering makes a placement for every record and a merged cluster for every work (a million and 700,000
for a million records): ``model_construct`` looks every field up by name and alias and fills defaults, which took
a quarter of a bulk clustering's time. :func:`construct` sets the values as they are, for models that keep no
private attributes and no extra fields, when every field is given; it falls back to ``model_construct``
otherwise. As with ``model_construct``, nothing is validated: the values must already be what the model holds
(``tests/unit/test_dedup_construct.py`` checks both ways give equal models).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["construct", "constructor"]

M = TypeVar("M", bound=BaseModel)


@cache
def _plain(cls: type[BaseModel]) -> frozenset[str] | None:
    """The field names of a model whose instances are just their fields (``None`` when not)."""
    if cls.__private_attributes__ or cls.model_config.get("extra") == "allow":
        return None
    return frozenset(cls.model_fields)


def construct(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of ``cls`` holding ``values`` (not validated; the dict is kept, so pass a new one), as
    ``cls.model_construct(**values)`` makes it."""
    fields = _plain(cls)
    if fields is None or len(values) != len(fields) or not fields.issuperset(values):
        return cls.model_construct(**values)
    made = cls.__new__(cls)
    object.__setattr__(made, "__dict__", values)
    object.__setattr__(made, "__pydantic_fields_set__", set(fields))
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


def constructor(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    """:func:`construct` for ``cls`` with its checks made once, not on each call: the values given must hold every
    field of ``cls``, as they are (for models made by the hundred thousand, such as the lines of push digests).

    The instances share one set of the fields set (``model_fields_set``): it holds every field, so whatever
    pydantic adds to it (a field's name, on assignment) is there already, and a copy (``model_copy``) copies it
    first. One set a model less to make and for the garbage collector to walk, for a run that keeps them all."""
    fields = _plain(cls)
    if fields is None:
        return lambda values: cls.model_construct(**values)
    new, set_attribute, every = cls.__new__, object.__setattr__, set(fields)

    def make(values: dict[str, Any]) -> M:
        made = new(cls)
        set_attribute(made, "__dict__", values)
        set_attribute(made, "__pydantic_fields_set__", every)
        set_attribute(made, "__pydantic_extra__", None)
        set_attribute(made, "__pydantic_private__", None)
        return made

    return make
