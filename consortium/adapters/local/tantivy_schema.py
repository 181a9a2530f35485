"""The search index's tantivy schema, and search plans (:func:`~consortium.search.plan.plan_query`) as tantivy
queries over it, built with ``tantivy.Query`` constructors (term, term set, range, boolean, boost, constant score):
no query string is parsed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import tantivy

from consortium.adapters.local.tantivy_facets import KEYED
from consortium.search.document import TERM_FIELDS
from consortium.search.plan import MEMBER_BOOST

if TYPE_CHECKING:
    from consortium.search.plan import Clause, QueryPlan

__all__ = ["ID_FIELDS", "STORED", "compile_plan", "index_schema", "restricts"]

_KEYWORD_FIELDS = ("members", "format", "language", "class_top", "subjects", "work_id")
"""Raw, fast: filters and facets."""
ID_FIELDS = ("isbns", "issns", "class_chain", "class_tree")
"""Raw, indexed only: looked up by term."""
STORED = tuple("cluster_id title authors year format language members first_seen_us class_codes work_id".split())


def index_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("cluster_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title_sort", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("newest_sort", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("authors", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("class_codes", stored=True, tokenizer_name="raw", index_option="basic")
    for field in TERM_FIELDS:
        builder.add_text_field(field, tokenizer_name="whitespace", index_option="freq")
    for field in _KEYWORD_FIELDS:
        builder.add_text_field(field, stored=field in STORED, fast=True, tokenizer_name="raw", index_option="basic")
    for field in ID_FIELDS:
        builder.add_text_field(field, tokenizer_name="raw", index_option="basic")
    for key in KEYED.values():
        builder.add_text_field(key, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", stored=True, indexed=True, fast=True)
    builder.add_integer_field("first_seen_us", stored=True, indexed=True, fast=True)
    return builder.build()


def compile_plan(schema: tantivy.Schema, plan: QueryPlan) -> tantivy.Query:
    """The tantivy query of a search plan: its clauses (each a choice of boosted terms), keyword filters and ranges
    scoring nothing, and the boost of the reader's own library."""
    Query, Occur = tantivy.Query, tantivy.Occur
    if not restricts(plan) and plan.boost_member is None:
        return Query.all_query()  # scores 1, as below, and spares the boolean query's scorer (about 2 ms at 1M)
    parts: list[tuple[tantivy.Occur, tantivy.Query]] = [(Occur.Must, _clause(schema, c)) for c in plan.clauses]
    if not parts:  # every document, scoring 1 (a bare all_query scores 0 beside a filter)
        parts.append((Occur.Must, Query.const_score_query(Query.all_query(), 1.0)))
    for keyword in plan.filters:
        matching = Query.term_set_query(schema, keyword.field, list(keyword.values))
        parts.append((Occur.Must, Query.const_score_query(matching, 0.0)))
    for bounds in plan.ranges:
        within = Query.range_query(
            schema,
            bounds.field,
            tantivy.FieldType.Integer,
            lower_bound=bounds.lower,
            upper_bound=bounds.upper,
        )
        parts.append((Occur.Must, Query.const_score_query(within, 0.0)))
    if plan.boost_member is not None:
        own = Query.term_query(schema, "members", plan.boost_member, index_option="basic")
        parts.append((Occur.Should, Query.const_score_query(own, MEMBER_BOOST)))
    return Query.boolean_query(parts)


def _clause(schema: tantivy.Schema, clause: Clause) -> tantivy.Query:
    alternatives = [
        tantivy.Query.boost_query(
            tantivy.Query.term_query(
                schema, term.field, term.value, index_option="freq" if term.field in TERM_FIELDS else "basic"
            ),
            term.boost,
        )
        for term in clause.alternatives
    ]
    if len(alternatives) == 1:
        return alternatives[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in alternatives])


def restricts(plan: QueryPlan) -> bool:
    """Whether the plan leaves out any document (without clauses, filters or ranges it matches every one)."""
    return bool(plan.clauses or plan.filters or plan.ranges)
