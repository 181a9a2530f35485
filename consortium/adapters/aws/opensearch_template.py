"""The OpenSearch index template: the versioned settings (analyzers) and mappings the index is made from.

The template is ``consortium/search/mappings/bib-v<version>.json``. Besides the fields every adapter queries, it
gives ``title``, ``authors``, ``subjects`` and ``publisher`` a ``zh`` subfield analyzed by smartcn (word
segmentation) with ICU normalization, traditional-to-simplified transform and folding, and ``en`` subfields with
minimal English stemming. Amazon OpenSearch Service ships both plugins (Smart Chinese Analysis, ICU Analysis); a
test stand-in without them takes ``chinese_analyzer=False``, which leaves out the smartcn analyzer and the
fields that use it (see :func:`load_template`).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final

from consortium.errors import ConfigError

__all__ = ["SCHEMA_VERSION", "load_template"]

SCHEMA_VERSION: Final = 4
"""The template this release indexes into: version 2 added ``class_chain`` and ``first_seen_us`` to version 1;
version 3 added ``class_tree`` (the class browse), and an LCC ``class_top`` is its main class letter; version 4
added ``work_id`` (the work group: its editions and translations). An
alias pointing at an index of an older version sets
:attr:`~consortium.adapters.aws.opensearch_index.OpenSearchIndex.needs_rebuild`, and
:meth:`~consortium.catalogue.Catalogue.reindex_if_needed` rebuilds it from the stored works."""

_CHINESE_TOKENIZERS: Final = ("smartcn_tokenizer", "smartcn_sentence")


def load_template(version: int = SCHEMA_VERSION, *, chinese_analyzer: bool = True) -> dict[str, Any]:
    """The index template ``consortium/search/mappings/bib-v<version>.json``, as a dict.

    Parameters
    ----------
    version
        The schema version; the file must declare the same ``version``.
    chinese_analyzer
        ``False`` leaves out every analyzer built on smartcn (and so the ICU parts only they use) and every
        field and subfield analyzed by one: for an OpenSearch without the Smart Chinese and ICU plugins.
        Nothing that :class:`~consortium.adapters.aws.opensearch_index.OpenSearchIndex` queries changes.

    Raises
    ------
    ConfigError
        No such version, or the file is not a valid template of that version.

    Example
    -------
    >>> load_template(2)["template"]["mappings"]["properties"]["title"]["fields"]["zh"]["analyzer"]
    'consortium_chinese'
    """
    name = f"bib-v{version}.json"
    try:
        text = resources.files("consortium.search").joinpath("mappings", name).read_text(encoding="utf-8")
        template = json.loads(text)
    except FileNotFoundError as exc:
        raise ConfigError(f"no search index template {name} in consortium/search/mappings", version=version) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the search index template {name} is not valid JSON: {exc}", version=version) from exc
    if template.get("version") != version or "mappings" not in template.get("template", {}):
        raise ConfigError(f"{name} does not declare version {version} with template mappings", version=version)
    if not chinese_analyzer:
        _drop_chinese(template["template"])
    return dict(template)


def _drop_chinese(body: dict[str, Any]) -> None:
    """Remove the smartcn analyzers, the fields they analyze, and the filters left unused, in place."""
    analysis = body.get("settings", {}).get("analysis", {})
    analyzers: dict[str, Any] = analysis.get("analyzer", {})
    chinese = {
        name
        for name, spec in analyzers.items()
        if spec.get("type") == "smartcn" or spec.get("tokenizer") in _CHINESE_TOKENIZERS
    }
    for name in chinese:
        del analyzers[name]

    def prune(properties: dict[str, Any]) -> None:
        for field, spec in list(properties.items()):
            if spec.get("analyzer") in chinese or spec.get("search_analyzer") in chinese:
                del properties[field]
                continue
            for nested in ("fields", "properties"):
                if nested in spec:
                    prune(spec[nested])

    prune(body["mappings"].get("properties", {}))
    used = {part for spec in analyzers.values() for key in ("filter", "char_filter") for part in spec.get(key, [])}
    for kind in ("filter", "char_filter"):
        for name in [n for n in analysis.get(kind, {}) if n not in used]:
            del analysis[kind][name]
