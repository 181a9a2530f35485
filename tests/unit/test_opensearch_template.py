"""The OpenSearch index template (``consortium/search/mappings/bib-v4.json``) and the AWS wiring of the adapter.

osmem-server, the contract suite's stand-in, has neither the Smart Chinese nor the ICU analysis plugin, so the
parts of the template that need them are checked here, on the file itself; the rest of the template is also
created for real on osmem-server by the contract suite. No network here.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import boto3
import pytest
from factories import make_cluster
from search_corpus import corpus

from consortium.adapters.aws import OpenSearchIndex
from consortium.adapters.aws.opensearch_index import SCHEMA_VERSION, load_template
from consortium.errors import ConfigError
from consortium.search.document import FACET_FIELDS, TERM_FIELDS, index_document

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILE = ROOT / "consortium" / "search" / "mappings" / "bib-v4.json"
CHINESE_SUBFIELDS = {"title", "authors", "subjects", "publisher"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
    return loaded


def properties(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["template"]["mappings"]["properties"]
    return found


def analyzers(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["template"]["settings"]["analysis"]["analyzer"]
    return found


def fields_using(template: dict[str, Any], analyzer: str) -> set[str]:
    """Dotted names of the fields and subfields analyzed by ``analyzer``."""
    used = set()
    for name, spec in properties(template).items():
        if spec.get("analyzer") == analyzer:
            used.add(name)
        for sub, subspec in spec.get("fields", {}).items():
            if subspec.get("analyzer") == analyzer:
                used.add(f"{name}.{sub}")
    return used


def test_the_template_is_a_versioned_composable_template(template: dict[str, Any]) -> None:
    assert template["version"] == SCHEMA_VERSION == 4
    assert template["index_patterns"] == ["consortium-bib-v4-*"]
    assert all("-v4-" in pattern for pattern in template["index_patterns"])
    assert template["_meta"]["schema_version"] == 4
    assert template["template"]["mappings"]["_meta"]["schema_version"] == 4
    assert set(template["template"]) == {"settings", "mappings"}  # the alias is the adapter's to move
    assert template["template"]["mappings"]["dynamic"] == "strict"
    assert load_template() == load_template(4) == template


def test_smartcn_is_declared_with_icu_normalization(template: dict[str, Any]) -> None:
    chinese = analyzers(template)["consortium_chinese"]
    assert chinese["type"] == "custom"
    assert chinese["tokenizer"] == "smartcn_tokenizer"
    assert chinese["char_filter"] == ["icu_normalizer"]
    assert chinese["filter"] == ["consortium_traditional_to_simplified", "icu_folding", "smartcn_stop"]
    to_simplified = template["template"]["settings"]["analysis"]["filter"]["consortium_traditional_to_simplified"]
    assert to_simplified == {"type": "icu_transform", "id": "Traditional-Simplified"}


def test_smartcn_analyzes_the_chinese_subfields_and_nothing_else(template: dict[str, Any]) -> None:
    assert fields_using(template, "consortium_chinese") == {f"{name}.zh" for name in CHINESE_SUBFIELDS}
    # No main field depends on a plugin: what the adapter queries works on any OpenSearch.
    for name, spec in properties(template).items():
        assert spec.get("analyzer") in (None, "whitespace", "consortium_folded"), name


def test_english_subfields_use_minimal_english_stemming(template: dict[str, Any]) -> None:
    assert fields_using(template, "consortium_english") == {"title.en", "subjects.en", "publisher.en"}
    english = analyzers(template)["consortium_english"]
    filters = template["template"]["settings"]["analysis"]["filter"]
    assert [filters.get(f, {}).get("language") for f in english["filter"]] == [
        "possessive_english",
        None,
        None,
        "minimal_english",
    ]


def test_every_field_of_the_document_is_mapped(template: dict[str, Any]) -> None:
    documents = [index_document(cluster) for cluster in corpus()]
    documents.append(index_document(make_cluster("bare", "Bare")))
    mapped = set(properties(template))
    for document in documents:
        assert set(document) == mapped


def test_field_types_match_what_the_adapter_asks_of_them(template: dict[str, Any]) -> None:
    props = properties(template)
    for field in TERM_FIELDS:  # the project's own analysis, split on spaces only: every adapter matches alike
        assert props[field] == {"type": "text", "analyzer": "whitespace", "index_options": "freqs"}
    for field in (
        "cluster_id",
        "title_sort",
        "isbns",
        "issns",
        "language",
        "format",
        "members",
        "class_codes",
        "class_chain",
    ):
        assert props[field]["type"] == "keyword", field
    assert props["class_top"]["type"] == "keyword"
    assert props["subjects"]["fields"]["keyword"]["type"] == "keyword"
    assert props["authors"]["fields"]["keyword"]["type"] == "keyword"
    assert props["year"]["type"] == "integer"
    assert props["first_seen"]["type"] == "date"
    assert props["first_seen_us"]["type"] == "long"  # microseconds: ranges and the newest sort, exact
    # Facets and filters go to keyword (or numeric) fields.
    for field in FACET_FIELDS.values():
        spec = props[field]["fields"]["keyword"] if props[field]["type"] == "text" else props[field]
        assert spec["type"] in ("keyword", "integer"), field


def test_without_the_chinese_analyzer_no_plugin_is_needed(template: dict[str, Any]) -> None:
    plain = load_template(4, chinese_analyzer=False)
    text = json.dumps(plain["template"])  # what is sent to the cluster
    assert "smartcn" not in text
    assert "icu_" not in text
    assert "consortium_chinese" not in text
    assert fields_using(plain, "consortium_chinese") == set()
    for name in CHINESE_SUBFIELDS:
        assert "zh" not in properties(plain)[name]["fields"]
    # Everything else is the real template.
    assert set(properties(plain)) == set(properties(template))
    assert set(analyzers(plain)) == set(analyzers(template)) - {"consortium_chinese"}
    for name, spec in properties(template).items():
        expected = (
            {**spec, "fields": {k: v for k, v in spec["fields"].items() if k != "zh"}} if "fields" in spec else spec
        )
        assert properties(plain)[name] == expected
    assert load_template(4)["template"]["settings"]["analysis"]["analyzer"]["consortium_chinese"]  # not mutated


def test_an_unknown_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"bib-v1\.json"):
        load_template(1)  # the first layout is no longer shipped: an index of it is rebuilt as version 2


def test_the_template_ships_in_the_package() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data["consortium"]
    assert any(TEMPLATE_FILE in (ROOT / "consortium").glob(pattern) for pattern in patterns)


# -- the AWS factory ---------------------------------------------------------------------------------


def test_for_aws_signs_requests_with_sigv4() -> None:
    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region_name="eu-west-1",
    )
    index = OpenSearchIndex.for_aws(
        "https://search-hub-abc.eu-west-1.es.amazonaws.com", "eu-west-1", session=session, alias="bib"
    )
    assert index.alias == "bib"
    assert index.refresh == "wait_for"
    transport = index.client.transport
    assert transport.hosts == [{"host": "search-hub-abc.eu-west-1.es.amazonaws.com", "port": 443, "scheme": "https"}]
    (connection,) = transport.connection_pool.connections
    assert connection.use_ssl
    auth = connection.http_auth
    assert (auth.service, auth.signer.region) == ("es", "eu-west-1")
    headers = auth("POST", "https://search-hub-abc.eu-west-1.es.amazonaws.com/bib/_search", b"{}")
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/es/aws4_request" in headers["Authorization"]
    assert "X-Amz-Date" in headers


def test_for_aws_takes_a_bare_host_and_says_when_there_are_no_credentials() -> None:
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1")
    index = OpenSearchIndex.for_aws("search-x.us-east-1.es.amazonaws.com", "us-east-1", session=session)
    assert index.client.transport.hosts[0]["host"] == "search-x.us-east-1.es.amazonaws.com"

    class NoCredentials:
        def get_credentials(self) -> None:
            return None

    with pytest.raises(ConfigError, match="no AWS credentials"):
        OpenSearchIndex.for_aws("search-x.us-east-1.es.amazonaws.com", "us-east-1", session=NoCredentials())
