"""The member registry as the hub uses it: members.toml (the operator's file) with the changes members make to
their own sources through the member API on top (:mod:`~consortium.registry.service`), kept behind the
:class:`~consortium.registry.ports.SourceOverrideStore` port."""

from consortium.registry.models import RegisteredSource, SourceChange, SourceOrigin, SourceOverride
from consortium.registry.ports import SourceOverrideStore
from consortium.registry.service import MemberSources

__all__ = [
    "MemberSources",
    "RegisteredSource",
    "SourceChange",
    "SourceOrigin",
    "SourceOverride",
    "SourceOverrideStore",
]
