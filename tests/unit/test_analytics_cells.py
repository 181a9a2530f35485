"""Counting into cells and suppression: every published row stands for at least ten distinct readers, and no
difference of published rows singles out a smaller group (the attack is performed here, and fails)."""

from __future__ import annotations

import random
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.analytics.cells import OTHER, TOP, CellKey, Fact, PublishedCell, count, publish, suppressed

K = 10


def _fact(
    reader: str, member: str, metric: str = "searches", period: str = "2026-10", act: str = "", **dims: str
) -> Fact:
    return Fact(reader, metric, period, {"total": TOP, "member": member, **dims}, act)


def _rows(rows: list[PublishedCell], table: str) -> dict[str, PublishedCell]:
    return {row.key.value: row for row in rows if row.key.table == table}


def _difference_attack(rows: list[PublishedCell], parent: str = TOP) -> int:
    """What an attacker gets for the unpublished members: the total minus every published member row (the
    (other) row left out, as if it were not there)."""
    total = _rows(rows, "total")[parent].events
    members = _rows(rows, "member")
    return total - sum(row.events for value, row in members.items() if value != OTHER)


def _naive(facts: list[Fact]) -> list[PublishedCell]:
    """What publishing with primary suppression only would show."""
    cells = count(facts)
    return [PublishedCell(k, c.events, len(c.readers)) for k, c in cells.items() if len(c.readers) >= K]


def test_a_cell_of_fewer_than_ten_readers_is_not_published() -> None:
    facts = [_fact(f"r{n}", "riverside") for n in range(9)]
    assert publish(count(facts), K) == []
    facts.append(_fact("r9", "riverside"))
    rows = publish(count(facts), K)
    assert _rows(rows, "member")["riverside"].readers == 10
    assert _rows(rows, "total")[TOP].events == 10


def test_readers_are_counted_once_per_cell_events_every_time() -> None:
    facts = [_fact(f"r{n}", "riverside") for n in range(10) for _ in range(3)]
    (row,) = [r for r in publish(count(facts), K) if r.key.table == "member"]
    assert (row.events, row.readers) == (30, 10)


def test_the_difference_attack_singles_out_one_reader_without_complementary_suppression_and_fails_with_it() -> None:
    # Twelve readers of riverside search; the one reader of hillside, whom the attacker knows, searched 3 times.
    facts = [_fact(f"r{n}", "riverside") for n in range(12)]
    facts += [_fact("target", "hillside")] * 3

    naive = _naive(facts)
    assert "hillside" not in _rows(naive, "member")  # primary suppression hides the cell itself...
    assert _difference_attack(naive) == 3  # ...but total minus riverside gives the target's 3 searches exactly

    rows = publish(count(facts), K)
    members = _rows(rows, "member")
    assert "hillside" not in members and "riverside" not in members  # riverside is suppressed too
    assert _difference_attack(rows) == 15  # what the attack finds is the (other) row: 13 readers together
    assert members[OTHER].events == 15 and members[OTHER].readers == 13


def test_the_complement_hides_the_smallest_published_sibling() -> None:
    facts = [_fact(f"a{n}", "alpha") for n in range(30)]
    facts += [_fact(f"b{n}", "beta") for n in range(12)]
    facts += [_fact(f"g{n}", "gamma") for n in range(11)]
    facts += [_fact("target", "delta")]
    members = _rows(publish(count(facts), K), "member")
    assert set(members) == {"alpha", "beta", OTHER}  # gamma (the smallest) joins delta
    assert members[OTHER].readers == 12


def test_two_suppressed_children_of_too_few_readers_together_pull_in_a_third() -> None:
    facts = [_fact(f"a{n}", "alpha") for n in range(20)]
    facts += [_fact(f"b{n}", "beta") for n in range(3)] + [_fact(f"c{n}", "gamma") for n in range(4)]
    facts += [_fact(f"d{n}", "delta") for n in range(15)]
    members = _rows(publish(count(facts), K), "member")
    assert "beta" not in members and "gamma" not in members and "delta" not in members
    assert members[OTHER].readers == 22  # 3 + 4 readers would be a group of 7: delta is hidden with them


def test_children_of_a_suppressed_parent_are_not_published() -> None:
    # class T is hidden by complementary suppression; its subclass TP alone would rebuild it (TP is all of T)
    facts = [_fact(f"i{n}", "m", **{"class": "clc:I", "subclass": "clc:I2"}) for n in range(30)]
    facts += [_fact(f"t{n}", "m", **{"class": "clc:T", "subclass": "clc:TP"}) for n in range(11)]
    facts += [_fact("target", "m", **{"class": "clc:O", "subclass": "clc:O1"})]
    rows = publish(count(facts), K)
    classes = _rows(rows, "class")
    assert "clc:T" not in classes and classes[OTHER].readers == 12
    assert "clc:TP" not in _rows(rows, "subclass")
    assert "clc:I2" in _rows(rows, "subclass")


def test_a_partition_under_a_class_is_protected_like_one_under_the_total() -> None:
    facts = [_fact(f"p{n}", "m", **{"class": "clc:T", "subclass": "clc:TP"}) for n in range(25)]
    facts += [_fact("target", "m", **{"class": "clc:T", "subclass": "clc:TN"})]
    rows = publish(count(facts), K)
    under_t = {r.key.value: r for r in rows if r.key.table == "subclass" and r.key.parent == "clc:T"}
    assert set(under_t) == {OTHER}  # TP is hidden with TN: clc:T minus TP would be the target
    assert _rows(rows, "class")["clc:T"].events == 26


def test_a_class_lying_inside_one_member_cannot_be_subtracted_from_it() -> None:
    # Riverside's twelve readers: eleven read only class I, the target reads only class T (where lakeside's
    # eleven readers read too). Member riverside (12) minus class I (11, all of them riverside's) would be the
    # target's views of T: every row is published by the partition rules, only the nesting gives it away.
    facts = [_fact(f"i{n}", "riverside", metric="views", **{"class": "clc:I", "subclass": "clc:I2"}) for n in range(11)]
    facts += [_fact("target", "riverside", metric="views", **{"class": "clc:T", "subclass": "clc:TP"})] * 2
    facts += [_fact(f"l{n}", "lakeside", metric="views", **{"class": "clc:T", "subclass": "clc:TP"}) for n in range(11)]
    naive = {(r.key.table, r.key.value): r for r in _naive(facts)}
    assert naive[("member", "riverside")].events - naive[("class", "clc:I")].events == 2  # the target's 2 views
    rows = {(r.key.table, r.key.value): r for r in publish(count(facts), K)}
    assert ("member", "riverside") not in rows or ("class", "clc:I") not in rows
    _nested_invariant(facts, list(rows.values()))


def test_a_pushed_work_deleted_cannot_be_subtracted_from_the_same_work_delivered() -> None:
    # Twelve readers were sent a work of class T; eleven deleted it: delivered minus deleted is the one who kept it
    facts = []
    for n in range(12):
        dims = {"class": "clc:T", "subclass": "clc:TP"}
        facts.append(_fact(f"r{n}", "m", metric="push_delivered", act="sent:w1", **dims))
        if n < 11:
            facts.append(_fact(f"r{n}", "m", metric="push_deleted", act="sent:w1", **dims))
    naive = {(r.key.metric, r.key.table): r for r in _naive(facts)}
    assert naive[("push_delivered", "total")].readers - naive[("push_deleted", "total")].readers == 1
    rows = publish(count(facts), K)
    assert not [r for r in rows if r.key.metric == "push_deleted"]  # hidden: delivered stays, deleted does not
    assert [r.readers for r in rows if r.key.metric == "push_delivered" and r.key.table == "total"] == [12]


def test_a_holder_row_cannot_be_subtracted_from_a_cell_that_overlapping_holder_rows_cover() -> None:
    # Twenty readers of b, one loan each. x holds the works of nineteen (r0-r18), y those of nineteen (r1-r19): a
    # loan counts for each holder, so the held_by rows overlap and together cover member b. Taken as one family,
    # b minus their union is empty, yet b minus x alone is r19's loan, and b minus y r0's.
    facts = []
    for n in range(20):
        act = f"event:{n}"
        facts.append(_fact(f"r{n}", "b", metric="loans", act=act))
        for holder in ("x", "y"):
            if (holder == "x" and n < 19) or (holder == "y" and n > 0):
                facts.append(Fact(f"r{n}", "loans", "2026-10", {"held_by": holder, "borrowed_by": "b"}, act))
    naive = {(r.key.table, r.key.value): r for r in _naive(facts)}
    assert naive[("member", "b")].readers - naive[("held_by", "x")].readers == 1
    rows = {(r.key.table, r.key.value): r for r in publish(count(facts), K)}
    assert ("member", "b") in rows
    assert ("held_by", "x") not in rows and ("held_by", "y") not in rows
    assert not [key for key in rows if key[0] == "borrowed_by"]  # under a hidden holder


def test_a_table_without_a_parent_has_primary_suppression_only() -> None:
    facts = [Fact(f"r{n}", "searches", "2026-10", {"zero_result": "dream of the red chamber"}) for n in range(10)]
    facts += [Fact("target", "searches", "2026-10", {"zero_result": "my own name"})]
    rows = publish(count(facts), K)
    assert [r.key.value for r in rows] == ["dream of the red chamber"]


def _invariants(facts: list[Fact], rows: list[PublishedCell]) -> None:
    cells = count(facts)
    hidden = suppressed(cells, K)
    published = {row.key: row for row in rows}
    for row in rows:
        assert row.readers >= K, row
    families: dict[tuple[str, str, str, str], list[PublishedCell]] = defaultdict(list)
    for row in rows:
        families[(row.key.table, row.key.metric, row.key.period, row.key.parent)].append(row)
    for (table, metric, period, parent_value), children in families.items():
        parent_table = {"member": "total", "class": "total", "subclass": "class"}.get(table)
        if parent_table is None:
            continue
        parent = [r for r in rows if (r.key.table, r.key.metric, r.key.period, r.key.value) == (
            parent_table, metric, period, parent_value)]  # fmt: skip
        assert parent, f"{table} rows published under a hidden parent"
        # the attack: the parent minus every published child; it must be nothing or the (other) row's group
        shown = [c for c in children if c.key.value != OTHER]
        rest = parent[0].events - sum(c.events for c in shown)
        other = [c for c in children if c.key.value == OTHER]
        assert rest == (other[0].events if other else 0)
        if other:
            assert other[0].readers >= K
    assert all(key not in published for key in hidden)


def _nested_invariant(facts: list[Fact], rows: list[PublishedCell]) -> None:
    """Independently of the code under test: for every pair of published rows, one lying wholly inside the
    other (as sets of acts), the difference is nothing or a group of at least ten readers."""
    acts: dict[CellKey, set[tuple[str, str]]] = defaultdict(set)
    for number, fact in enumerate(facts):
        act = (fact.reader, fact.act or f"#{number}")
        for table, value in fact.dims.items():
            parent = {"subclass": "class"}.get(table, "total" if table != "total" else None)
            key = CellKey(table, fact.metric, fact.period, TOP if parent is None else fact.dims[parent], value)
            acts[key].add(act)
    shown = [acts[row.key] for row in rows if row.key.value != OTHER]
    for small in shown:
        for big in shown:
            if small < big:
                assert len({reader for reader, _ in big - small}) >= K, "a published difference under ten readers"


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=25), min_size=1, max_size=6),
    classes=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=60),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_no_published_difference_of_a_parent_and_its_children_is_a_group_under_ten(
    sizes: list[int], classes: list[int], seed: int
) -> None:
    rng = random.Random(seed)
    facts: list[Fact] = []
    reader = 0
    for member, size in enumerate(sizes):
        for _ in range(size):
            reader += 1
            for _ in range(rng.randint(1, 3)):
                top = rng.choice("IOT")
                sub = top + rng.choice("P12")
                facts.append(
                    _fact(f"r{reader}", f"m{member}", period=rng.choice(["2026-09", "2026-10"]),
                          **{"class": f"clc:{top}", "subclass": f"clc:{sub}"})
                )  # fmt: skip
    rows = publish(count(facts), K)
    _invariants(facts, rows)
    _nested_invariant(facts, rows)
