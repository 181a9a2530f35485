"""The search benchmarks' query load: free text, fielded, ISBN look-ups, filters, boosts and facets.

Queries are drawn from a sample of the clusters in the index (:class:`~search_clusters.Corpus`) and from the
corpus vocabularies: free text (1-3 English words, 2-4 Chinese characters), fielded ``title:``/``author:``,
ISBN look-ups (ISBN-13 or hyphenated ISBN-10), sometimes with filters (language, format, years, member,
class), sometimes with the reader's library boosted, pages 1-3, and always the facets :data:`FACETS`.
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from search_clusters import EN_WORDS, MEMBERS, ZH_WORDS, zipf_weights

from consortium.classification import InvalidClassCodeError, class_chain
from consortium.models import IdentifierScheme
from consortium.search import SearchQuery
from consortium.search.document import class_top

if TYPE_CHECKING:
    from datetime import datetime

    from consortium.models import Cluster

__all__ = ["FACETS", "describe", "isbn10", "make_queries", "new_books_queries"]

FACETS: list[Any] = ["member", "format", "language", "class"]
"""The facets every query asks for."""


def isbn10(isbn: str) -> str | None:
    """The hyphenated ISBN-10 of a 978 ISBN-13 (as a reader might type it), or ``None``."""
    if not isbn.startswith("978"):
        return None
    body = isbn[3:12]
    total = sum(int(d) * (10 - i) for i, d in enumerate(body))
    check = (11 - total % 11) % 11
    digit = "X" if check == 10 else str(check)
    return f"{body[0]}-{body[1:4]}-{body[4:9]}-{digit}"


def make_queries(sample: list[Cluster], count: int, seed: int = 5) -> list[SearchQuery]:
    """A mixed query load (see the module notes); ``sample`` are clusters that are in the index.

    Filters are drawn from the cluster a query was taken from (its language, format, a range of years around
    its year, a library that holds it, its class), or for vocabulary queries from the script typed, as a reader
    narrowing a search would choose them; ISBN look-ups have none.
    """
    rng = random.Random(seed)
    en_weights = zipf_weights(len(EN_WORDS), 0.9)
    zh_chars = [c for word in ZH_WORDS for c in word]
    chinese = [c for c in sample if c.language == "chi"]
    other = [c for c in sample if c.language != "chi"]
    with_isbn = [c for c in sample if any(i.scheme is IdentifierScheme.ISBN for i in c.identifiers)]
    queries: list[SearchQuery] = []
    kinds = ["en", "zh", "title", "author", "isbn", "en_title"]
    while len(queries) < count:
        kind = rng.choices(kinds, weights=[28, 27, 15, 12, 10, 8])[0]
        source: Cluster | None = None
        params: dict[str, Any] = {}
        if kind == "en":
            if rng.random() < 0.6:  # words from the vocabulary, as readers type them
                params["text"] = " ".join(rng.choices(EN_WORDS, weights=en_weights, k=rng.choice([1, 1, 2, 2, 3])))
            else:  # words of a title that is there
                source = rng.choice(other)
                words = source.title.lower().split()
                start = rng.randrange(len(words))
                params["text"] = " ".join(words[start : start + rng.randint(1, 3)])
        elif kind == "zh":
            if rng.random() < 0.5:  # 2-4 characters of a Chinese title that is there
                source = rng.choice(chinese)
                length = min(len(source.title), rng.randint(2, 4))
                start = rng.randrange(len(source.title) - length + 1)
                params["text"] = source.title[start : start + length]
            else:  # a word of the vocabulary, or characters put together
                word = rng.choice(ZH_WORDS)
                params["text"] = word if len(word) >= 2 else word + rng.choice(zh_chars)
        elif kind == "title":
            source = rng.choice(sample)
            if source.language == "chi":
                cut = rng.randint(min(2, len(source.title)), len(source.title))
                params["title"] = source.title[:cut]
            else:
                words = source.title.split()
                params["title"] = " ".join(words[: rng.randint(1, len(words))])
        elif kind == "author":
            source = rng.choice([c for c in sample[:1000] if c.authors])
            author = rng.choice(source.authors)
            params["author"] = author.split(",")[0] if "," in author and rng.random() < 0.6 else author
        elif kind == "isbn":
            holder = rng.choice(with_isbn)
            value = next(i.value for i in holder.identifiers if i.scheme is IdentifierScheme.ISBN)
            ten = isbn10(value)
            typed = ten if ten and rng.random() < 0.3 else value
            params["isbn" if rng.random() < 0.5 else "text"] = typed
        else:  # fielded title and a free word
            params["title"] = rng.choices(EN_WORDS, weights=en_weights)[0]
            params["text"] = rng.choices(EN_WORDS, weights=en_weights)[0]
        if kind != "isbn" and rng.random() < 0.35:  # a filter
            zh = source.language == "chi" if source else kind == "zh"
            choice = rng.randrange(5)
            if choice == 0:
                params["languages"] = [source.language if source else ("chi" if zh else "eng")]
            elif choice == 1:
                params["formats"] = [source.format.value if source else rng.choice(["book", "ebook"])]
            elif choice == 2:
                year = source.year if source and source.year else rng.randint(1960, 2025)
                params["year_from"], params["year_to"] = year - rng.randint(0, 10), year + rng.randint(0, 10)
            elif choice == 3:
                params["members"] = [rng.choice(source.members) if source else rng.choice(MEMBERS)]
            elif source and (tops := [t for c in source.classifications if (t := class_top(c))]):
                params["classes"] = [rng.choice(tops)]
            else:
                params["classes"] = [rng.choice(["clc:T", "clc:I", "clc:F"] if zh else ["lcc:Q", "ddc:000"])]
        if rng.random() < 0.4:
            params["boost_member"] = rng.choice(MEMBERS)
        params["page"] = rng.choices([1, 2, 3], weights=[70, 20, 10])[0]
        params["facets"] = FACETS
        queries.append(SearchQuery.from_params(params))
    return queries


def new_books_queries(
    sample: list[Cluster], count: int, since: datetime, *, with_class: bool = True, seed: int = 7
) -> list[SearchQuery]:
    """``GET /new-books`` as it searches: a class three levels down (CLC ``TP3`` under ``TP`` under ``T``,
    ``I24``; Dewey ``005`` under ``000``; LCC codes have two levels and are left out) of a sampled work, the
    works first seen from ``since``, newest first, a page of 50; ``with_class=False``: every class."""
    rng = random.Random(seed)
    depth3 = []
    for cluster in sample:
        for classification in cluster.classifications:
            try:
                chain = class_chain(classification.scheme, classification.code)
            except InvalidClassCodeError:
                continue
            if len(chain) >= 3 and classification.scheme.value != "lcc":
                depth3.append(f"{classification.scheme.value}:{chain[-3]}")
    return [
        SearchQuery(
            class_codes=[rng.choice(depth3)] if with_class else [],
            first_seen_from=since,
            sort="newest",
            page_size=50,
        )
        for _ in range(count)
    ]


def describe(query: SearchQuery) -> str:
    """The query's set fields as one line of JSON (facets left out)."""
    fields = query.model_dump(exclude_defaults=True, exclude={"facets"})
    return json.dumps(fields, ensure_ascii=False, default=str)
