"""Diversifying a digest: greedy, each turn the work whose score times its penalties is highest.

A work's score is multiplied by :data:`DIVERSITY_DECAY` for every work of its series and every work by its first
author already chosen (unless the reader reads that author), and by :data:`TOPIC_DECAY` for every work of its
class already chosen; a series gives at most :data:`MAX_PER_SERIES` works to one digest
(:func:`~consortium.push.ranking.diversified`, :func:`diversify`).

Works of exactly equal score are ordered by a tie-break (``tie``: the ranking's rule, :func:`tie_rule`), by
default :func:`id_order`, a hash of the cluster id: never by the order works entered the index, so a digest is
the same whatever order a store or a rebuild gives the works in.
"""

from __future__ import annotations

import bisect
import functools
import zlib
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from consortium.push.reasons import Reason

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.push.evidence import Evidence
    from consortium.push.index import NewWorks
    from consortium.push.ranking import Taste

__all__ = ["DIVERSITY_DECAY", "MAX_PER_SERIES", "TOPIC_DECAY", "Entry", "diversify", "id_order", "tie_rule"]

MAX_PER_SERIES = 2
DIVERSITY_DECAY = 0.5
"""A work's score is multiplied by this for every work of its series, and by its first author, already chosen."""
TOPIC_DECAY = 0.9
"""... and by this for every work of its class already chosen, so a reader's second interest gets room."""


Entry = tuple[float, int, Reason, str]
"""A candidate as :func:`diversify` takes and gives it: ``(score, work number, reason, why)``, as in
:class:`~consortium.push.ranking.Scored`."""


@functools.lru_cache(maxsize=65536)
def id_order(cluster_id: str) -> tuple[int, str]:
    """The last tie-break: a hash of the cluster id (CRC-32, the same in every process and on every machine, unlike
    ``hash``), then the id itself; not the id alone, whose order may follow when works were clustered."""
    return zlib.crc32(cluster_id.encode()), cluster_id


def tie_rule(
    works: NewWorks, taste: Taste, evidence: Evidence | None = None
) -> Callable[[int], tuple[bool, int, int, tuple[int, str]]]:
    """The order of works of exactly equal score for this reader (work number → sort key, smallest first), one
    rule of real evidence: (1) a work by an author the reader reads (an ``author:`` key of theirs) first; (2) then
    the one meeting more of the reader's distinct keys (the keys it posts under, broader classes and heading
    parts included, that the reader has: a count, exact, where a sum of weights would be one more float already
    in the score); (3) then the one more readers of the consortium borrowed (``evidence.loans``, which counts only
    works with ten distinct readers); (4) then :func:`id_order` of the cluster id.
    Worked out only for works that tie."""
    weights = taste.weights
    loans = evidence.loans if evidence is not None else {}

    def order(number: int) -> tuple[bool, int, int, tuple[int, str]]:
        work = works.works[number]
        reads_author = any(author in weights for author in work.authors)
        met = sum(1 for key in work.expanded if key in weights)
        return not reads_author, -met, -loans.get(work.cluster_id, 0), id_order(work.cluster_id)

    return order


def _by_id(works: NewWorks) -> Callable[[int], Any]:
    return lambda number: id_order(works.works[number].cluster_id)


def _order(entries: list[Entry], tie: Callable[[int], Any]) -> None:
    """Sort ``entries`` best score first, exactly equal scores by ``tie`` of their work number (called only for
    those)."""
    entries.sort(key=itemgetter(0), reverse=True)
    start, count = 0, len(entries)
    while start < count:
        end, score = start + 1, entries[start][0]
        while end < count and entries[end][0] == score:
            end += 1
        if end - start > 1:
            entries[start:end] = sorted(entries[start:end], key=lambda entry: tie(entry[1]))
        start = end


def diversify(
    works: NewWorks,
    entries: list[Entry],
    cap: int,
    threshold: float,
    read_authors: frozenset[str] = frozenset(),
    *,
    tie: Callable[[int], Any] | None = None,
) -> list[Entry]:
    """Greedy diversification (:func:`~consortium.push.ranking.diversified`) on plain tuples, so that nothing is
    made for candidates that are not chosen.

    The candidates are read by class (their first class key, :attr:`~consortium.push.index.NewWork.topic`), each
    class best first: every work of a class has its score multiplied by the same class penalty, and the series
    and author penalties only lower it further, so a class is read only while its next score times that penalty
    could still win. Each turn takes what one greedy scan of the whole list would take: the highest adjusted
    score, the earliest in the list's order of equals: best score first, exactly equal scores by ``tie`` (work
    number → a sort key; default :func:`id_order` of the cluster id), never by the order of ``entries``. Scores
    must not be negative (a penalty must lower them), hence ``threshold >= 0``. An author the reader reads
    (``read_authors``, their ``author:`` keys) is no crowding out: more of an author they read is what they came
    for, so their works take no author penalty."""
    if threshold < 0.0:
        raise ValueError(f"diversification needs a threshold of 0 or more (a penalty must lower a score): {threshold}")
    leads = works.leads
    ordered = [entry for entry in entries if entry[0] >= threshold]
    _order(ordered, tie if tie is not None else _by_id(works))
    scores = [entry[0] for entry in ordered]
    series_of: list[str | None] = []
    author_of: list[str | None] = []
    by_topic: dict[str | None, list[int]] = {}  # class → its candidates (places in ordered), best first
    for at, entry in enumerate(ordered):
        its_series, its_author, its_topic = leads[entry[1]]
        series_of.append(its_series)
        author_of.append(None if its_author in read_authors else its_author)
        found = by_topic.get(its_topic)
        if found is None:
            by_topic[its_topic] = [at]
        else:
            found.append(at)
    topic_factor = dict.fromkeys(by_topic, 1.0)  # class → TOPIC_DECAY ** its works chosen
    # The classes by their best candidate's score times the class penalty, highest first (then earliest): once a
    # class cannot win a turn, neither can any after it.
    heads = {topic: (-scores[members[0]], members[0], topic) for topic, members in by_topic.items()}
    order = sorted(heads.values())
    per_series: dict[str, int] = {}
    per_author: dict[str, int] = {}
    per_topic: dict[str, int] = {}
    chosen: list[Entry] = []
    while len(chosen) < cap:
        best_at, best_score, best_topic, best_index = -1, threshold, None, -1
        for negative, first, topic in order:
            if -negative < best_score or (-negative == best_score and 0 <= best_at < first):
                break
            members = by_topic[topic]
            factor = topic_factor[topic]
            for index, at in enumerate(members):
                score = scores[at]
                bound = score * factor  # no candidate from here on in this class can score more
                if bound < best_score or (bound == best_score and 0 <= best_at < at):
                    break
                series_key = series_of[at]
                series = per_series.get(series_key, 0) if series_key is not None else 0
                if series >= MAX_PER_SERIES:
                    continue
                author_key = author_of[at]
                author = per_author.get(author_key, 0) if author_key is not None else 0
                adjusted = score * DIVERSITY_DECAY ** (series + author) * factor
                if adjusted > best_score or (adjusted == best_score and (best_at < 0 or at < best_at)):
                    best_at, best_score, best_topic, best_index = at, adjusted, topic, index
        if best_at < 0:
            break
        entry = ordered[best_at]
        chosen.append((best_score, entry[1], entry[2], entry[3]))
        members = by_topic[best_topic]
        del members[best_index]
        del order[bisect.bisect_left(order, heads[best_topic])]
        series_key, author_key = series_of[best_at], author_of[best_at]
        if series_key is not None:
            per_series[series_key] = per_series.get(series_key, 0) + 1
        if author_key is not None:
            per_author[author_key] = per_author.get(author_key, 0) + 1
        if best_topic is not None:
            per_topic[best_topic] = per_topic.get(best_topic, 0) + 1
            topic_factor[best_topic] = TOPIC_DECAY ** per_topic[best_topic]
        if members:
            heads[best_topic] = head = (-(scores[members[0]] * topic_factor[best_topic]), members[0], best_topic)
            bisect.insort(order, head)
        else:
            del by_topic[best_topic]
    return chosen
