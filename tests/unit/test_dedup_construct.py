"""construct() makes the same models as pydantic's model_construct (bulk clustering's placements and clusters)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, PrivateAttr

from consortium.construct import construct, constructor
from consortium.dedup.merge import merge_cluster
from consortium.dedup.state import RecordPlacement
from consortium.models import Cluster, Identifier, IdentifierScheme, RawPointer, Record

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def _same(a: BaseModel, b: BaseModel) -> None:
    assert type(a) is type(b)
    assert a == b
    assert a.model_fields_set == b.model_fields_set
    assert a.model_dump_json() == b.model_dump_json()


def test_a_placement_is_what_model_construct_makes() -> None:
    values = {"member": "m1", "local_id": "b1", "cluster_id": "c" * 32, "keys": ["t:a b"], "first_seen": NOW}
    made = construct(RecordPlacement, dict(values))
    _same(made, RecordPlacement.model_construct(**values))
    _same(made, RecordPlacement(**values))
    made.cluster_id = "other"  # an ordinary model: assignable, copied apart
    assert made.model_copy(update={"keys": []}).keys == []


def test_merged_clusters_are_what_validation_makes() -> None:
    raw = RawPointer(digest="0" * 64, media_type="application/marc")
    isbn = Identifier(scheme=IdentifierScheme.ISBN, value="9780262033848")
    records = [
        Record(member=m, local_id="1", source_id="s", title="Algorithms", authors=["Cormen, T."], year=2009,
               identifiers=[isbn] if m == "a" else [], raw=raw)
        for m in ("a", "b")
    ]  # fmt: skip
    for chosen in (records, records[:1]):
        merged = merge_cluster("c1", chosen, {}, NOW)
        _same(merged, Cluster.model_validate(merged.model_dump()))
        assert merged.authors is not chosen[0].authors  # a copy: changing the cluster leaves the record alone


def test_models_with_private_state_or_missing_fields_fall_back() -> None:
    class Private(BaseModel):
        name: str
        _seen: int = PrivateAttr(default=0)

    class Defaults(BaseModel):
        name: str
        tags: list[str] = []

    _same(construct(Private, {"name": "x"}), Private.model_construct(name="x"))
    assert construct(Private, {"name": "x"})._seen == 0
    _same(construct(Defaults, {"name": "x"}), Defaults.model_construct(name="x"))
    assert construct(Defaults, {"name": "x"}).tags == []


def test_a_constructor_makes_what_model_construct_makes() -> None:
    values = {"member": "m1", "local_id": "b1", "cluster_id": "c" * 32, "keys": ["t:a b"], "first_seen": NOW}
    make = constructor(RecordPlacement)
    first, second = make(dict(values)), make(dict(values))
    _same(first, RecordPlacement.model_construct(**values))
    _same(first, RecordPlacement(**values))
    assert first.model_fields_set is second.model_fields_set == set(RecordPlacement.model_fields)  # one, shared
    first.cluster_id = "other"  # an ordinary model: assignable (the field's name was in the set already)
    assert second.model_fields_set == set(RecordPlacement.model_fields) and second.cluster_id == "c" * 32
    copied = first.model_copy(update={"keys": []})
    assert copied.model_fields_set is not first.model_fields_set and copied.keys == [] and second.keys == ["t:a b"]

    class Private(BaseModel):
        name: str
        _seen: int = PrivateAttr(default=0)

    _same(constructor(Private)({"name": "x"}), Private.model_construct(name="x"))
