"""A reader's values worked out as far as a run needs them (:class:`~consortium.push.scoring.ReaderValues`: the
keys looked up by the threshold algorithm over co-borrowed keys, then the candidates' keys) must be exactly what
the whole map (:func:`~consortium.push.scoring.reader_values`) gives: the same keys in the same order, the same
values bit for bit and the same reasons, ties included."""

from __future__ import annotations

from operator import itemgetter

from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.push.evidence import Evidence
from consortium.push.ranking import Taste
from consortium.push.scoring import ReaderValues, reader_values

KEYS = [f"subject:s{i}" for i in range(14)] + ["subject:s1 -- s2", "subject:s3 -- s4 -- s5"]
STRENGTHS = [1.0, 0.5, 0.25, 0.04, 0.02, 0.5 * (1 + 2**-52)]
"""Few distinct cosines, so that co-borrowed keys often tie."""

weights_strategy = st.dictionaries(
    st.sampled_from(KEYS), st.sampled_from([1.0, 0.5, 0.3, 0.1, 0.05, 0.02]), max_size=12
)
related_strategy = st.dictionaries(
    st.sampled_from(KEYS),
    st.dictionaries(st.sampled_from([*KEYS, "subject:x1", "subject:x2"]), st.sampled_from(STRENGTHS), max_size=6),
    max_size=10,
)


@settings(max_examples=300, deadline=None)
@given(
    weights_strategy,
    related_strategy,
    st.integers(1, 12),
    st.tuples(st.sets(st.sampled_from(KEYS), max_size=3), st.sets(st.sampled_from(KEYS), max_size=2)),
    st.sets(st.sampled_from([*KEYS, "subject:x1", "subject:x2", "subject:none"])),
)
def test_the_values_a_run_needs_are_the_whole_maps(
    weights: dict[str, float],
    related: dict[str, dict[str, float]],
    count: int,
    skipped_and_declared: tuple[set[str], set[str]],
    candidate_keys: set[str],
) -> None:
    skipped, declared = skipped_and_declared
    key_works = {key: n % 4 for n, key in enumerate(KEYS)}  # a few rarities, some equal
    evidence = Evidence(key_works=key_works, works_total=12, related=related)
    taste = Taste(weights=weights, declared=frozenset(declared))
    whole = reader_values(taste, evidence)

    values = ReaderValues(taste, evidence)
    strongest = values.strongest(count, skipped)

    ranked = [(key, value) for key, (value, _) in whole.items() if key not in skipped]
    ranked.sort(key=itemgetter(1), reverse=True)
    assert strongest == ranked[:count]
    values.complete(candidate_keys)
    for key in candidate_keys:
        if key in whole:
            value, why = whole[key]
            assert values.values[key] == value
            assert ("related:" + values.whys[key] if key in values.whys else key) == why
        else:
            assert key not in values.values


def test_co_borrowed_keys_of_equal_value_keep_the_order_the_whole_map_met_them_in() -> None:
    # x1 is met first over the whole map (weakly, through b1), x2 first by the threshold algorithm (strongest
    # first, through b2): both end at 0.25, so only the whole map's order says which one comes first.
    weights = {"subject:b1": 1.0, "subject:b2": 1.0, "subject:b3": 0.1, "subject:b4": 0.1}
    related = {"subject:b1": {"subject:x1": 0.04}, "subject:b2": {"subject:x2": 0.5, "subject:x1": 0.5}}
    evidence = Evidence(key_works={}, works_total=10, related=related)
    whole = reader_values(Taste(weights=weights), evidence)
    assert list(whole)[4:] == ["subject:x1", "subject:x2"] and whole["subject:x1"][0] == whole["subject:x2"][0]

    strongest = ReaderValues(Taste(weights=weights), evidence).strongest(4, set())

    assert [key for key, _ in strongest] == ["subject:b1", "subject:b2", "subject:x1", "subject:x2"]
