"""Diversifying a digest: greedy, each turn the work whose score times its penalties is highest.

A work's score is multiplied by :data:`DIVERSITY_DECAY` for every work of its series and every work by its first
author already chosen (unless the reader reads that author), and by :data:`TOPIC_DECAY` for every work of its
class already chosen; a series gives at most :data:`MAX_PER_SERIES` works to one digest
(:func:`~consortium.push.ranking.diversified`, :func:`diversify`).
"""

from __future__ import annotations

import bisect
from operator import itemgetter
from typing import TYPE_CHECKING

from consortium.push.reasons import Reason

if TYPE_CHECKING:
    from consortium.push.index import NewWorks

__all__ = ["DIVERSITY_DECAY", "MAX_PER_SERIES", "TOPIC_DECAY", "Entry", "diversify"]

MAX_PER_SERIES = 2
DIVERSITY_DECAY = 0.5
"""A work's score is multiplied by this for every work of its series, and by its first author, already chosen."""
TOPIC_DECAY = 0.9
"""... and by this for every work of its class already chosen, so a reader's second interest gets room."""


Entry = tuple[float, int, Reason, str]
"""A candidate as :func:`diversify` takes and gives it: ``(score, work number, reason, why)``, as in
:class:`~consortium.push.ranking.Scored`."""


def diversify(
    works: NewWorks, entries: list[Entry], cap: int, threshold: float, read_authors: frozenset[str] = frozenset()
) -> list[Entry]:
    """Greedy diversification (:func:`~consortium.push.ranking.diversified`) on plain tuples, so that nothing is
    made for candidates that are not chosen.

    The candidates are read by class (their first class key, :attr:`~consortium.push.index.NewWork.topic`), each
    class best first: every work of a class has its score multiplied by the same class penalty, and the series
    and author penalties only lower it further, so a class is read only while its next score times that penalty
    could still win. Each turn takes what one greedy scan of the whole list would take: the highest adjusted
    score, the earliest in the list's order (best score first) of equals. Scores must not be negative (a
    penalty must lower them), hence ``threshold >= 0``. An author the reader reads (``read_authors``, their
    ``author:`` keys) is no crowding out: more of an author they read is what they came for, so their works take
    no author penalty."""
    if threshold < 0.0:
        raise ValueError(f"diversification needs a threshold of 0 or more (a penalty must lower a score): {threshold}")
    leads = works.leads
    ordered = [entry for entry in entries if entry[0] >= threshold]
    ordered.sort(key=itemgetter(1))  # then best score first: by score, then work number (stable sorts)
    ordered.sort(key=itemgetter(0), reverse=True)
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
