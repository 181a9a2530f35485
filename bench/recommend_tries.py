"""Changes to the push ranking tried on the validation split after rules A-E, each against the unchanged code.

The loans before the test split, cut again at their own 80% point (``bench/recommend_quality.py --validation``'s
split); the peers' lists from one run of ``bench/recommend_peers.py`` on it, so that every system is compared on
the same readers, candidates and bootstrap seed. Each try is patched into the running process and undone after
it, as ``bench/recommend_rules.py`` undoes a kept rule; printed per setting: MAP@10, P@10, the paired 95%
bootstrap interval of (try − unchanged) and of (try − TF-IDF) (and − item-kNN in *all*), and how many readers'
lists the try changed. None adds a fitted constant: each reuses one the project has.

* ``demand``: the popularity prior as current demand: each distinct reader's latest loan of a work weighs
  ``2^(−age / SLOW_HALF_LIFE)`` at the split (the interest profile's own half-life, 365 days), summed; the
  ten-reader rule kept (only works with ten distinct readers have any); ``demand-fast``: at ``FAST_HALF_LIFE``;
* ``cosine``: a key's piece divided by the norm of the work's rarity vector (a TF-IDF cosine's, as the content
  similarity divides) instead of the square root of its own keys; ``cosine-factors``: by the norm of its
  factor × rarity vector;
* ``fields``: each kind of key (class, subject, author) normalized by the work's own keys of that kind (BM25F's
  length per field), so that an author match is not diluted by the work's headings;
* ``popular-scored``: the works with a loan count (ten readers) that any looked-up key meets scored too, not only
  the shortlist (a work the prior can lift is not left out by its single strongest match);
* ``shortlist-as-scored``: the shortlist by the best key piece as the score weighs it (the length norm in);
* ``shortlist-all``: every work any looked-up key meets scored fully, no shortlist: what the shortlist's cut
  (:meth:`~consortium.push.index.NewWorks.first_met`, equals in the index's order) costs, at most;
* ``confidence-prior``: the prior × (k1 + 1) / the reader's strongest saturated key (``SATURATION``, BM25's k1):
  a reader with little history leans on the consortium's loans more (×2.2 after one loan, ×1 at most);
* ``author-prior``: a work without a loan count of its own given its authors' distinct readers (from ten on, an
  aggregate as a work's count is), log-scaled over the most read author, at ``POPULARITY_WEIGHT``; ``author-tie``:
  the same as a tie-break only (at ``HOLDINGS_WEIGHT``, the holdings' tie-break weight, over ten);
* ``subject-levels``: the interest profile learning a heading's broader headings and subdivisions from each loan,
  as it learns a class's broader classes (``ANCESTOR_FACTOR`` a level), so that many headings under one broader
  heading add up;
* ``ties-a``, ``ties-b``, ``ties-c``: equal scores ordered by a hash of the work id and a salt instead of the
  index's order: not a change, the noise the order of ties alone makes;
* ``index-ties``: exactly equal scores in the order works entered the index, as before the tie rule
  (:func:`~consortium.push.diversity.tie_rule`, kept after this try): the rule measured, as the old order − the rule.
* ``language``: each score × the reader's fit for the work's language, by Laplace's rule of succession over the
  works borrowed lately, (loans in that language + 1) / (loans in the reader's first language + 1);
  ``language-seen``: only a language the reader never borrowed in discounted, to 1 / (loans + 1). items.csv has no
  language: the ISBN's registration group stands for it (`bench/recommend_language.py`), as 008/35-37 would.

Usage::

    PYTHONPATH=$PWD python bench/recommend_tries.py [--tries demand,cosine,...] [--seed 7]

About 70 seconds a try on a loaded machine, and as long once for the peers and the unchanged lists.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import zlib
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recommend_compare import SETTINGS, bootstrap, evidence_for, per_reader, settings_of
from recommend_data import split_dataset
from recommend_language import item_languages, language_fit
from recommend_loans import DEFAULT_ITEMS, DEFAULT_LOANS, before, load_any
from recommend_methods import ProjectRanker, rank_project

from consortium.profiles import interests
from consortium.profiles.interest_keys import expand, subject_levels
from consortium.profiles.interests import FAST_HALF_LIFE, SLOW_HALF_LIFE
from consortium.push import ranking, scoring
from consortium.push.coborrow import MIN_READERS
from consortium.push.evidence import COBORROW_WEIGHT, OVERLAP_WEIGHT
from consortium.push.index import NewWorks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from datetime import datetime, timedelta

    from recommend_data import Dataset, Interaction, Split

    from consortium.push.evidence import Evidence
    from consortium.push.index import NewWork

__all__ = ["TRIES", "Validation", "author_readers", "demand_loans", "main", "trying"]

Lists = dict[str, dict[str, list[str]]]
"""Setting → reader → top 10."""


def demand_loans(
    train: Mapping[str, Iterable[Interaction]], at: datetime, half_life: timedelta, counted: Iterable[str]
) -> dict[str, float]:
    """Work → current demand at ``at``: each distinct reader's latest loan of it weighing ``2^(−age / half_life)``,
    summed, for the works in ``counted`` only (those with a count under the ten-reader rule)."""
    kept = set(counted)
    latest: dict[tuple[str, str], datetime] = {}
    for reader, rows in train.items():
        for row in rows:
            if row.item in kept and ((reader, row.item) not in latest or row.at > latest[reader, row.item]):
                latest[reader, row.item] = row.at
    found: dict[str, float] = defaultdict(float)
    for (_, item), when in latest.items():
        found[item] += math.exp2(-max(0.0, (at - when) / half_life))
    return dict(found)


def author_readers(
    train: Mapping[str, Iterable[Interaction]], keys_of: Callable[[str], Iterable[str]], min_readers: int = MIN_READERS
) -> dict[str, int]:
    """``author:`` key → distinct readers who borrowed a work of that author, from ``min_readers`` on."""
    readers: dict[str, set[str]] = defaultdict(set)
    for reader, rows in train.items():
        for row in rows:
            for key in keys_of(row.item):
                if key.startswith("author:"):
                    readers[key].add(reader)
    return {key: len(who) for key, who in readers.items() if len(who) >= min_readers}


@dataclass
class Validation:
    """The validation split, its evidence as the hub stores it, the peers' lists and the unchanged project's."""

    dataset: Dataset
    split: Split
    settings: dict[str, tuple[list[str], dict[str, set[str]]]]
    ranker: ProjectRanker
    evidence: Evidence
    peers: dict[str, dict[str, dict[str, list[str]]]]
    unchanged: Lists

    @classmethod
    def of(cls, dataset: Dataset, seed: int, *, peers: bool = True) -> Validation:
        dataset = before(dataset, split_dataset(dataset).at)
        split = split_dataset(dataset)
        settings = settings_of(dataset, split)
        ranker = ProjectRanker(dataset, split, [])
        evidence = evidence_for(ranker, split, overlap=OVERLAP_WEIGHT, coborrow=COBORROW_WEIGHT)
        found: dict[str, dict[str, dict[str, list[str]]]] = {}
        if peers:  # numpy, scipy and implicit: the bench extra
            from recommend_peers import Train, rank_peers

            train = Train.of(dataset, split.train)
            found = {name: rank_peers(dataset, train, c, sorted(h), seed=seed) for name, (c, h) in settings.items()}
        v = cls(dataset, split, settings, ranker, evidence, found, {})
        v.unchanged = v.lists(evidence)
        return v

    def lists(self, evidence: Evidence) -> Lists:
        """The project's top 10 of every reader in each setting, ranked as the comparison ranks them."""
        out: Lists = {}
        for name, (candidates, hidden) in self.settings.items():
            ranker = ProjectRanker(self.dataset, self.split, candidates, evidence=evidence, exclude_borrowed=True)
            out[name] = rank_project(self.dataset, self.split, ranker=ranker, readers=sorted(hidden))[0][0.0]
        return out


@contextlib.contextmanager
def _patched(*patches: tuple[Any, str, Any]) -> Iterator[None]:
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, value in patches:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


Terms = tuple[tuple[tuple[str, float, float], ...], float, float, float]


def _terms_with(change: Callable[[NewWork, Evidence, Terms], Terms]) -> Callable[[NewWork, Evidence], Terms]:
    original = scoring._terms

    def terms(work: NewWork, evidence: Evidence) -> Terms:
        return change(work, evidence, original(work, evidence))

    return terms


def _cosine(factors: bool) -> Callable[[NewWork, Evidence, Terms], Terms]:
    def change(work: NewWork, evidence: Evidence, terms: Terms) -> Terms:
        keys, _, content_norm, tie = terms
        norm = math.sqrt(math.fsum((f * r) ** 2 for _, f, r in keys)) if factors else content_norm
        return keys, 1.0 / (norm or 1.0), content_norm, tie

    return change


def _fields(work: NewWork, evidence: Evidence, terms: Terms) -> Terms:
    keys, norm, content_norm, tie = terms
    kinds: dict[str, int] = defaultdict(int)
    for key in work.keys:
        kinds[key.partition(":")[0]] += 1
    scale = {kind: math.sqrt(max(1, len(work.keys)) / count) for kind, count in kinds.items()}
    return tuple((k, f, r * scale.get(k.partition(":")[0], 1.0)) for k, f, r in keys), norm, content_norm, tie


def _salted(salt: str) -> Callable[[NewWork, Evidence, Terms], Terms]:
    def change(work: NewWork, evidence: Evidence, terms: Terms) -> Terms:
        keys, norm, content_norm, tie = terms
        return keys, norm, content_norm, tie + 1e-9 * zlib.crc32((salt + work.cluster_id).encode()) / 2**32

    return change


def _authors(v: Validation, weight: float) -> Callable[[NewWork, Evidence, Terms], Terms]:
    counts = author_readers(v.split.train, v.ranker.keys_of)
    top = math.log1p(max(counts.values(), default=1))

    def change(work: NewWork, evidence: Evidence, terms: Terms) -> Terms:
        keys, norm, content_norm, tie = terms
        readers = max((counts.get(a, 0) for a in work.authors), default=0)
        if readers and work.cluster_id not in evidence.loans:
            tie += weight * math.log1p(readers) / top
        return keys, norm, content_norm, tie

    return change


def _first_met_popular(v: Validation) -> Callable[..., list[int]]:
    original = NewWorks.first_met

    def first_met(self: NewWorks, weights: Mapping[str, float], k: int, **filters: Any) -> list[int]:
        found = original(self, weights, k, **filters)
        seen = set(found)
        for cluster_id in v.evidence.loans:
            number = self.by_id.get(cluster_id)
            if number is None or number in seen or cluster_id in filters["exclude"]:
                continue
            if not self.works[number].expanded.isdisjoint(weights):
                found.append(number)
        return found

    return first_met


def _first_met_as_scored(
    self: NewWorks, weights: Mapping[str, float], k: int, *, floor: float, exclude: frozenset[str], reject: Any
) -> list[int]:
    best: dict[int, float] = {}
    for key, weight in weights.items():
        for number, factor in self.postings.get(key, ()):
            value = weight * factor * scoring._length_norm(len(self.works[number].keys))
            if value > best.get(number, 0.0):
                best[number] = value
    found = []
    for number in sorted(best, key=lambda n: (-best[n], n)):
        work = self.works[number]
        if work.seen_at >= floor and work.cluster_id not in exclude and not (reject is not None and reject(work)):
            found.append(number)
            if len(found) >= k:
                break
    return found


def _first_met_all(
    self: NewWorks, weights: Mapping[str, float], k: int, *, floor: float, exclude: frozenset[str], reject: Any
) -> list[int]:
    del k
    met = {number for key in weights for number, _ in self.postings.get(key, ())}
    return [
        number
        for number in sorted(met)
        if (work := self.works[number]).seen_at >= floor
        and work.cluster_id not in exclude
        and not (reject is not None and reject(work))
    ]


def _confident_prior() -> tuple[tuple[Any, str, Any], ...]:
    """``confidence-prior``: Taste keeps how sure the reader's strongest key is; the prior is scaled by it."""
    taste_of, scores = ranking.Taste.of.__func__, ranking.evidence_scores  # type: ignore[attr-defined]

    def of(cls: type[ranking.Taste], profile: Any, at: datetime, borrowed: Any = ()) -> ranking.Taste:
        taste: ranking.Taste = taste_of(cls, profile, at, borrowed)
        raw = max((i.slow_at(at) for i in profile.learned.values()), default=0.0)
        sure = ranking._saturated(raw) / (ranking.SATURATION + 1.0) if raw > 0 else 1.0
        object.__setattr__(taste, "_sure", sure)  # a frozen dataclass: set for this run only
        return taste

    def scored(works: Any, values: Any, whys: Any, taste: Any, evidence: Evidence, **kw: Any) -> Any:
        extra = 1.0 / getattr(taste, "_sure", 1.0) - 1.0
        return [
            (score, tie + scoring.POPULARITY_WEIGHT * evidence.popularity(work.cluster_id) * extra, why)
            for work, (score, tie, why) in zip(works, scores(works, values, whys, taste, evidence, **kw), strict=True)
        ]

    return (ranking.Taste, "of", classmethod(of)), (ranking, "evidence_scores", scored)


def _subject_levels(key: str) -> list[tuple[str, float]]:
    """What one event counts a key for: a class's broader classes (as :func:`interests.apply_event` counts them)
    and, in this try, a heading's broader headings and subdivisions."""
    return subject_levels(key) if key.startswith("subject:") else expand(key)


@contextlib.contextmanager
def trying(name: str, v: Validation) -> Iterator[Evidence]:
    """The ranking with try ``name`` (one of :data:`TRIES`) patched in, restored on exit; yields the evidence to
    rank with."""
    evidence = v.evidence
    patches: tuple[tuple[Any, str, Any], ...] = ()
    if name in ("demand", "demand-fast"):
        half_life = SLOW_HALF_LIFE if name == "demand" else FAST_HALF_LIFE
        loans = demand_loans(v.split.train, v.split.at, half_life, evidence.loans)
        evidence = dataclasses.replace(evidence, loans=loans)  # type: ignore[arg-type]
    elif name in ("cosine", "cosine-factors"):
        patches = ((scoring, "_terms", _terms_with(_cosine(name == "cosine-factors"))),)
    elif name == "fields":
        patches = ((scoring, "_terms", _terms_with(_fields)),)
    elif name == "popular-scored":
        patches = ((NewWorks, "first_met", _first_met_popular(v)),)
    elif name == "shortlist-as-scored":
        patches = ((NewWorks, "first_met", _first_met_as_scored),)
    elif name == "shortlist-all":
        patches = ((NewWorks, "first_met", _first_met_all),)
    elif name == "confidence-prior":
        patches = _confident_prior()
    elif name in ("author-prior", "author-tie"):
        weight = scoring.POPULARITY_WEIGHT if name == "author-prior" else scoring.HOLDINGS_WEIGHT / 10
        patches = ((scoring, "_terms", _terms_with(_authors(v, weight))),)
    elif name == "subject-levels":
        patches = ((interests, "expand", _subject_levels),)
    elif name.startswith("ties-"):
        patches = ((scoring, "_terms", _terms_with(_salted(name))),)
    elif name in ("language", "language-seen"):
        fit = language_fit(item_languages(DEFAULT_ITEMS), seen=name == "language-seen")
        patches = ((ranking, "evidence_scores", fit),)
    elif name == "index-ties":
        patches = ((ranking, "tie_rule", lambda works, taste, evidence=None: int),)
    else:
        raise ValueError(f"no try {name!r} (one of {', '.join(TRIES)})")
    with _patched(*patches):
        yield evidence


TRIES = (
    "demand",
    "demand-fast",
    "cosine",
    "cosine-factors",
    "fields",
    "popular-scored",
    "shortlist-as-scored",
    "shortlist-all",
    "confidence-prior",
    "author-prior",
    "author-tie",
    "subject-levels",
    "ties-a",
    "ties-b",
    "ties-c",
    "index-ties",
    "language",
    "language-seen",
)


def _aps(lists: Mapping[str, list[str]], hidden: Mapping[str, set[str]]) -> list[float]:
    return [per_reader(lists.get(r, []), hidden[r])["map"] for r in sorted(hidden)]


def line(name: str, lists: Lists, v: Validation, seed: int) -> str:
    """One try's figures: per setting MAP@10, P@10 and the paired intervals."""
    cells = []
    for setting in SETTINGS:
        hidden = v.settings[setting][1]
        mine = _aps(lists[setting], hidden)
        hits = sum(len(set(lists[setting].get(r, [])) & hidden[r]) for r in hidden)
        cell = f"{setting} {sum(mine) / len(mine):.5f} P@10 {hits / (10 * len(hidden)):.4f}"
        others = {"unchanged": v.unchanged[setting]}
        others.update({p: v.peers[setting][p] for p in ("tfidf", "item_knn")[: 1 + (setting == "all")] if v.peers})
        for other, theirs in others.items():
            low, high = bootstrap(mine, _aps(theirs, hidden), seed)
            cell += f" {other} [{low:+.4f}, {high:+.4f}]"
        changed = sum(lists[setting].get(r, []) != v.unchanged[setting].get(r, []) for r in hidden)
        cells.append(f"{cell} ({changed} lists changed)")
    return f"{name}: " + " | ".join(cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tries", default=",".join(TRIES), help=f"comma-separated, of {', '.join(TRIES)}")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.tries.split(",") if name.strip()]
    unknown = [name for name in names if name not in TRIES]
    if unknown:
        parser.error(f"no try {unknown[0]!r} (one of {', '.join(TRIES)})")
    v = Validation.of(load_any(DEFAULT_LOANS, DEFAULT_ITEMS), args.seed)
    print(f"validation: {v.dataset.description}; split at {v.split.at.isoformat()}; each try − unchanged, 95% CI")
    print(line("unchanged", v.unchanged, v, args.seed), flush=True)
    for name in names:
        with trying(name, v) as evidence:
            print(line(name, v.lists(evidence), v, args.seed), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
