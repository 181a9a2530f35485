"""The push benchmark's population: generated new works and readers, deterministic for a seed.

A vocabulary of CLC classes (fine-grained codes over the 22 top classes), subjects and authors, each code with
subjects and authors of its own; new works (:class:`~consortium.models.Cluster`, some in series, held by 1-4
members, first seen over the last :data:`NEW_DAYS` days); older works readers borrowed (their keys only); and
readers (:class:`~consortium.push.planner.ReaderPlan`: a learned interest profile, recent borrows, due
subscriptions, some with a sent ledger and a mute or two). :func:`build_population` makes all of it.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field

from consortium.models import Classification, ClassScheme, Cluster, Holding, ResourceFormat
from consortium.profiles.interest_keys import author_key, class_key, subject_key
from consortium.profiles.interests import InterestProfile, apply_event, declare
from consortium.push.models import Channel, Frequency, Mute, MuteKind, ServiceId, Subscription
from consortium.push.planner import ReaderPlan
from consortium.push.ranking import Borrowed, Taste, expanded_keys

__all__ = [
    "MEMBERS",
    "NOW",
    "OldWork",
    "Population",
    "Vocabulary",
    "build_population",
    "new_clusters",
    "old_works",
    "reader_plans",
    "vocabulary",
]

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
"""The time every digest is planned at."""
MEMBERS = ("riverside", "eastlake", "northgate", "hillcrest")
"""The generated members that hold the new works."""
NEW_DAYS = 7
"""New works were first seen over this many days before :data:`NOW`."""
LAST_DIGEST = dt.timedelta(days=8)
"""Every subscription's last digest was this long ago: weekly ones are due."""

CLC_TOP = "ABCDEFGHIJKNOPQRSTUVXZ"
"""The 22 top classes of the Chinese Library Classification."""
CLC_SECOND = {"T": ["TB", "TD", "TE", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TP", "TQ", "TS", "TU", "TV"]}
"""T (industrial technology) is divided by a second letter."""
CLC_SEEDS = [
    "TP312", "TP311.5", "TP311.13", "TP393.4", "TP18", "TN929.5", "TU201", "TM7", "TS97",
    "I247.5", "I247.57", "I266", "I313.45", "I712.45", "I561.45", "I207.22",
    "K825.6", "K203", "K313.3", "K712", "O13", "O211", "O413.1", "O641",
    "F830.9", "F832.5", "F272", "F713.36", "B82", "B502.1", "B222", "D922.1", "D815",
    "G252", "G642", "H319.4", "H31", "J292", "J213", "R473", "R541", "Q78", "Q5",
    "S5", "U41", "V211", "X5", "Z228", "N49", "P7", "E2", "C91", "A81",
]  # fmt: skip
"""Real codes the generated vocabulary starts from; the rest are drawn under the 22 top classes."""
CODES = 400
SUBJECTS = 2000
AUTHORS = 8000
OLD_WORKS = 30000
"""Older (not new) works readers borrowed: only their keys are generated."""
SUBJECT_WORDS = (
    "computer programming python algorithms databases networks machine learning chinese fiction poetry drama "
    "history biography economics banking finance management marketing philosophy ethics logic law politics "
    "education libraries linguistics english grammar art music painting medicine nursing surgery biology "
    "genetics agriculture transport aviation environment chemistry physics mathematics statistics geology "
    "astronomy military sociology psychology religion archaeology architecture engineering energy materials"
).split()
GIVEN = (
    "Wei Jing Li Ming Hua Lan Tao Yan Donald Ada Grace Alan Barbara Edsger Frank Ursula Toni Jorge Gabriel "
    "Haruki Orhan Chinua Naguib Wislawa Czeslaw Pablo Italo Umberto Doris Alice Mo Xin Yu Hong Jun Fang Lei"
).split()
SURNAMES = (
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Knuth Lovelace Hopper "
    "Turing Liskov Dijkstra Herbert Le-Guin Morrison Borges Marquez Murakami Pamuk Achebe Mahfouz Szymborska "
    "Milosz Neruda Calvino Eco Lessing Munro Smith Jones Brown Miller Davis Garcia Wilson Moore Taylor Thomas"
).split()


@dataclass(frozen=True)
class Vocabulary:
    """Class codes (by popularity, most popular first) and, per code, its usual subjects and authors."""

    codes: list[str]
    code_weights: list[float]
    subjects: list[str]
    authors: list[str]
    subjects_of: dict[str, list[str]]
    authors_of: dict[str, list[str]]


def _dotted(letters: str, digits: str) -> str:
    return letters + ".".join(digits[i : i + 3] for i in range(0, len(digits), 3))


def vocabulary(rng: random.Random) -> Vocabulary:
    """About :data:`CODES` CLC codes, :data:`SUBJECTS` subjects and :data:`AUTHORS` authors; each code gets a
    few subjects and authors of its own, so that works of one class share them as real ones do."""
    codes = list(dict.fromkeys(CLC_SEEDS))
    while len(codes) < CODES:
        top = rng.choice(CLC_TOP)
        letters = rng.choice(CLC_SECOND.get(top, [top]))
        digits = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(rng.choice((1, 2, 2, 3, 4))))
        code = _dotted(letters, digits)
        if code not in codes:
            codes.append(code)
    weights = [1.0 / (rank + 10) for rank in range(len(codes))]  # Zipf-like: a few classes get many works
    subjects: dict[str, None] = {}
    while len(subjects) < SUBJECTS:
        heading = " ".join(rng.sample(SUBJECT_WORDS, rng.choice((1, 2, 2, 3)))).capitalize()
        if rng.random() < 0.3:
            heading += f" -- {rng.choice(('History', 'China', 'Textbooks', 'Study and teaching', 'Handbooks'))}"
        subjects[heading] = None
    authors: dict[str, None] = {}
    while len(authors) < AUTHORS:
        authors[f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)} {rng.choice(string.ascii_uppercase)}."] = None
    subject_list, author_list = list(subjects), list(authors)
    subjects_of = {code: rng.sample(subject_list, 8) for code in codes}
    authors_of = {code: rng.sample(author_list, 25) for code in codes}
    return Vocabulary(codes, weights, subject_list, author_list, subjects_of, authors_of)


def _pick_keys(rng: random.Random, vocab: Vocabulary, code: str) -> tuple[list[str], list[str]]:
    """1-3 subjects and 1-2 authors for a work in ``code``: mostly the class's own, sometimes any."""
    subjects = [
        rng.choice(vocab.subjects_of[code]) if rng.random() < 0.8 else rng.choice(vocab.subjects)
        for _ in range(rng.randint(1, 3))
    ]
    authors = [
        rng.choice(vocab.authors_of[code]) if rng.random() < 0.7 else rng.choice(vocab.authors)
        for _ in range(rng.choice((1, 1, 1, 2)))
    ]
    return list(dict.fromkeys(subjects)), list(dict.fromkeys(authors))


def new_clusters(rng: random.Random, vocab: Vocabulary, n: int, now: dt.datetime = NOW) -> list[Cluster]:
    """``n`` new works: every ~20th starts a series of 2-6 volumes (same class, author and series title)."""
    clusters: list[Cluster] = []
    series: tuple[str, str, list[str], list[str], int, int] | None = None  # title, code, subjects, authors, n, of
    for i in range(n):
        if series is None and i % 20 == 0:
            code = rng.choices(vocab.codes, vocab.code_weights)[0]
            subjects, authors = _pick_keys(rng, vocab, code)
            series = (f"Series {i} of {code}", code, subjects, authors, 1, rng.randint(2, 6))
        if series is not None:
            title_stem, code, subjects, authors, volume, volumes = series
            title, series_title, series_number = f"{title_stem}, vol. {volume}", title_stem, f"v. {volume}"
            series = (title_stem, code, subjects, authors, volume + 1, volumes) if volume < volumes else None
        else:
            code = rng.choices(vocab.codes, vocab.code_weights)[0]
            subjects, authors = _pick_keys(rng, vocab, code)
            title, series_title, series_number = f"New work {i} on {subjects[0].lower()}", None, None
        members = sorted(rng.sample(MEMBERS, rng.choice((1, 1, 2, 2, 3, 4))))
        seen = now - dt.timedelta(seconds=rng.uniform(60, NEW_DAYS * 86400))
        cluster_id = f"new-{i:06d}"
        clusters.append(
            Cluster(
                cluster_id=cluster_id,
                records=[(m, f"{cluster_id}-{m}") for m in members],
                format=ResourceFormat.BOOK,
                title=title,
                authors=authors,
                year=2025,
                series=series_title,
                series_number=series_number,
                subjects=subjects,
                classifications=[Classification(scheme=ClassScheme.CLC, code=code)],
                holdings=[Holding(member=m, call_number=f"{code}/{i}") for m in members],
                first_seen=seen,
                updated_at=seen,
            )
        )
    return clusters


def _work_keys(code: str, subjects: list[str], authors: list[str]) -> list[str]:
    """A work's interest keys, as :func:`keys_for_cluster` gives them, without building the cluster."""
    keys = [class_key("clc", code), *(subject_key(s) for s in subjects), *(author_key(a) for a in authors)]
    return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class OldWork:
    """A work readers borrowed before this run: its id, title and interest keys (expanded for overlaps)."""

    cluster_id: str
    title: str
    code: str
    keys: tuple[str, ...]
    expanded: frozenset[str]


def old_works(rng: random.Random, vocab: Vocabulary, n: int) -> dict[str, list[OldWork]]:
    """``n`` older works' keys, grouped by class code."""
    by_code: dict[str, list[OldWork]] = {code: [] for code in vocab.codes}
    for i in range(n):
        code = rng.choices(vocab.codes, vocab.code_weights)[0]
        keys = tuple(_work_keys(code, *_pick_keys(rng, vocab, code)))
        by_code[code].append(OldWork(f"old-{i:06d}", f"Older work {i}", code, keys, expanded_keys(keys)))
    return by_code


def reader_plans(
    rng: random.Random,
    vocab: Vocabulary,
    *,
    old: dict[str, list[OldWork]],
    new: list[Cluster],
    n: int,
    now: dt.datetime = NOW,
    loans: list[tuple[str, str]] | None = None,
) -> list[ReaderPlan]:
    """``n`` readers: each follows 1-3 classes (by popularity), borrowed 5-40 older works (80% in those
    classes) over the last two years, declared 0-3 keys; 30% have a sent ledger (some of it this week's new
    works), 5% a mute or two. Each loan is appended to ``loans`` as ``(reader id, work id)``, oldest first."""
    populated = [(c, w) for c, w in zip(vocab.codes, vocab.code_weights, strict=True) if old[c]]
    codes, weights = [c for c, _ in populated], [w for _, w in populated]
    new_ids = [c.cluster_id for c in new]
    series_titles = sorted({c.series for c in new if c.series})
    readers: list[ReaderPlan] = []
    for i in range(n):
        focus = rng.choices(codes, weights, k=rng.randint(1, 3))
        borrows = sorted(rng.uniform(0, 730) for _ in range(rng.randint(5, 40)))[::-1]  # days ago, oldest first
        profile = InterestProfile()
        history: list[OldWork] = []
        for days_ago in borrows:
            code = rng.choice(focus) if rng.random() < 0.8 else rng.choices(codes, weights)[0]
            work = rng.choice(old[code])
            history.append(work)
            profile = apply_event(profile, "borrow", work.keys, now - dt.timedelta(days=days_ago))
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            declared = rng.choice(history).keys[0] if rng.random() < 0.6 else class_key("clc", rng.choice(codes))
            profile = declare(profile, declared)
        recent = [Borrowed(w.cluster_id, w.title, w.expanded) for w in history[-rng.randint(0, 5) :]]
        taste = Taste.of(profile, now, recent)
        member = MEMBERS[i % len(MEMBERS)]
        subscriptions = _subscriptions(rng, i, now)
        sent: frozenset[str] = frozenset()
        if rng.random() < 0.3:
            sent = frozenset(
                [rng.choice(new_ids) for _ in range(rng.randint(0, 10))]
                + [w.cluster_id for w in history[: rng.randint(1, len(history))]]
            )
        mutes: tuple[Mute, ...] = ()
        if rng.random() < 0.05:
            mutes = tuple(_mute(rng, vocab, series_titles, now) for _ in range(rng.randint(1, 2)))
        readers.append(ReaderPlan(f"reader-{i:07d}", member, taste, subscriptions, sent, mutes))
        if loans is not None:
            loans.extend((f"reader-{i:07d}", work.cluster_id) for work in history)
    return readers


def _subscriptions(rng: random.Random, i: int, now: dt.datetime) -> tuple[Subscription, ...]:
    created, last = now - dt.timedelta(days=400), now - LAST_DIGEST
    channel = rng.choice((Channel.EMAIL, Channel.EMAIL, Channel.INBOX, Channel.ATOM))
    email = f"reader{i}@example.org" if channel is Channel.EMAIL else None
    return tuple(
        Subscription(
            service=service,
            channel=channel,
            frequency=Frequency.WEEKLY,
            max_items=rng.choice((5, 10, 10, 10, 20)),
            email=email,
            created_at=created,
            last_digest_at=last,
        )
        for service in (ServiceId.NEW_IN_CLASS, ServiceId.INTERESTED_NEW)
    )


def _mute(rng: random.Random, vocab: Vocabulary, series_titles: list[str], now: dt.datetime) -> Mute:
    kind = rng.choice((MuteKind.CLASS, MuteKind.AUTHOR, MuteKind.SERIES)) if series_titles else MuteKind.CLASS
    if kind is MuteKind.CLASS:
        key = class_key("clc", rng.choice(vocab.codes)[:3])
    elif kind is MuteKind.AUTHOR:
        key = author_key(rng.choice(vocab.authors))
    else:
        key = rng.choice(series_titles)
    return Mute(kind=kind, key=key, at=now - dt.timedelta(days=30))


@dataclass
class Population:
    """What a run plans over."""

    clusters: list[Cluster]
    readers: list[ReaderPlan]
    loans: list[tuple[str, str]] = field(default_factory=list)
    """Every reader's loans of older works, ``(reader id, work id)``, oldest first, then this week's loans of
    new works (:func:`new_loans`)."""
    old_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each older work's interest keys."""


def build_population(readers: int, works: int, seed: int = 1) -> Population:
    """The generated new works and readers (deterministic for a seed)."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    clusters = new_clusters(rng, vocab, works)
    old = old_works(rng, vocab, min(OLD_WORKS, max(works * 3, 1000)))
    loans: list[tuple[str, str]] = []
    plans = reader_plans(rng, vocab, old=old, new=clusters, n=readers, loans=loans)
    loans += new_loans(random.Random(seed + 1), plans, clusters, old)
    old_keys = {work.cluster_id: work.keys for works_of in old.values() for work in works_of}
    return Population(clusters, plans, loans, old_keys)


def new_loans(
    rng: random.Random, readers: list[ReaderPlan], new: list[Cluster], old: dict[str, list[OldWork]]
) -> list[tuple[str, str]]:
    """This week's loans of new works: a fifth of the readers borrowed one to three new works of the class of one
    of their older loans (so new works gather co-borrowing with the older works of their class). Drawn with an
    RNG of their own: the readers and works are the same with or without them."""
    code_of = {work.cluster_id: work.code for works_of in old.values() for work in works_of}
    by_code: dict[str, list[str]] = {}
    for cluster in new:
        by_code.setdefault(cluster.classifications[0].code, []).append(cluster.cluster_id)
    found: list[tuple[str, str]] = []
    for reader in readers:
        if rng.random() >= 0.2 or not reader.taste.borrowed:
            continue
        codes = [code_of[b.cluster_id] for b in reader.taste.borrowed if code_of.get(b.cluster_id) in by_code]
        for _ in range(rng.randint(1, 3)):
            if codes:
                found.append((reader.reader_id, rng.choice(by_code[rng.choice(codes)])))
    return found
