"""The search index on Amazon OpenSearch Service (or any OpenSearch 3.x cluster), through opensearch-py.

Index and alias
    Readers and writers only ever name the alias (``consortium-bib``). It points at one concrete index,
    ``<alias>-v<schema version>-<counter>`` (``consortium-bib-v2-000001``), made from the versioned template
    ``consortium/search/mappings/bib-v<version>.json``: its settings (analyzers) and mappings. The first
    index is made with the alias on first use; :meth:`OpenSearchIndex.rebuild` makes the next one, loads it,
    swaps the alias in one ``update_aliases`` call (remove + add: atomic) and deletes the old index, so a
    schema change or a full reindex never leaves readers without an index.

Matching
    Documents are :func:`~consortium.search.document.index_document`; queries are
    :func:`~consortium.search.plan.plan_query` turned into a ``bool`` query of term queries and filters
    (:mod:`~consortium.adapters.aws.opensearch_query`), so OpenSearch finds exactly the clusters the other
    adapters find; scores are OpenSearch's BM25. Facets are ``terms`` aggregations over every match.

Chinese
    The template (:mod:`~consortium.adapters.aws.opensearch_template`) also gives the text fields subfields
    analyzed by smartcn and ICU and by English stemming; a test stand-in without those plugins takes
    ``chinese_analyzer=False`` (see :func:`~consortium.adapters.aws.opensearch_template.load_template`).

Refresh
    A write returns once a search can see it (the port's promise). With ``refresh="true"`` (the default, and
    what tests use) every write ends with an explicit refresh of the index. On AWS prefer
    ``refresh="wait_for"`` (:meth:`OpenSearchIndex.for_aws` does): the last bulk request waits for the next
    scheduled refresh instead of forcing one, which spares the cluster small segments under frequent writes.
"""

from __future__ import annotations

import copy
import logging
import re
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlparse

import boto3
from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth, Urllib3HttpConnection
from opensearchpy import exceptions as os_errors
from opensearchpy.helpers import BulkIndexError, bulk

from consortium.adapters.aws.opensearch_query import (
    class_counts_body,
    class_counts_result,
    search_body,
    search_result,
    similar_terms_body,
    similar_terms_result,
)
from consortium.adapters.aws.opensearch_template import SCHEMA_VERSION, load_template
from consortium.errors import ConfigError, NotFoundError, StorageError
from consortium.search.document import index_document
from consortium.search.plan import plan_query
from consortium.search.spelling import correctable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from consortium.models import Cluster
    from consortium.search.query import SearchQuery, SearchResult

__all__ = ["SCHEMA_VERSION", "OpenSearchIndex", "load_template"]

log = logging.getLogger(__name__)

Refresh = Literal["true", "wait_for"]

_MAX_CHUNK_BYTES: Final = 9 * 1024 * 1024
"""A bulk request stays under 10 MiB, the smallest HTTP payload limit of OpenSearch Service instance types."""


@contextmanager
def _errors(action: str) -> Iterator[None]:
    """Turn opensearch-py's errors into ours, saying what was being done."""
    try:
        yield
    except BulkIndexError as exc:
        # Each error is {"index": {"_id": ..., "status": ..., "error": {...}, "data": <document>}}: keep no documents.
        failed = [{op: {k: v for k, v in item.items() if k != "data"}} for e in exc.errors for op, item in e.items()]
        reason: Any = next((item.get("error") for e in failed for item in e.values()), None)
        if isinstance(reason, dict):
            reason = reason.get("reason", reason)
        raise StorageError(
            f"{action}: {len(failed)} document(s) failed, the first: {reason}", errors=failed[:5]
        ) from exc
    except os_errors.NotFoundError as exc:
        raise NotFoundError(f"{action}: {exc.error} ({_info(exc)})") from exc
    except os_errors.ConnectionError as exc:
        raise StorageError(f"{action}: cannot reach OpenSearch: {exc.error}") from exc
    except os_errors.TransportError as exc:
        raise StorageError(f"{action}: OpenSearch answered {exc.status_code} {exc.error} ({_info(exc)})") from exc
    except os_errors.ImproperlyConfigured as exc:
        raise ConfigError(f"{action}: the OpenSearch client is misconfigured: {exc}") from exc
    except os_errors.OpenSearchException as exc:
        raise StorageError(f"{action}: {exc}") from exc


def _info(exc: os_errors.TransportError) -> str:
    """The reason OpenSearch gave, when it gave one."""
    info = exc.info
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            return str(error.get("reason", error))
        if error:
            return str(error)
    return str(info)


class OpenSearchIndex:
    """A :class:`~consortium.search.ports.SearchIndex` in OpenSearch, read and written through an alias.

    Nothing is sent to the cluster until the first call; then the alias is looked up and, when missing, the
    first concrete index is made with it (:meth:`ensure`).

    Parameters
    ----------
    client
        A ready ``opensearchpy.OpenSearch`` (see :meth:`for_aws` for Amazon OpenSearch Service).
    alias
        The name readers and writers use; concrete indices are ``<alias>-v<version>-<counter>``.
    version
        The schema version: the template ``bib-v<version>.json``. An alias pointing at an index of another
        version sets :attr:`needs_rebuild`; :meth:`rebuild` then moves it to this version.
    batch_size
        Documents per bulk request (also capped at 9 MiB a request).
    chinese_analyzer
        ``False`` for an OpenSearch without the smartcn and ICU plugins (see :func:`load_template`).
    refresh
        ``"true"``: refresh after every write; ``"wait_for"``: let the last bulk request wait for the next
        scheduled refresh (better on AWS). Either way a write is searchable when the call returns.
    bulk_retries
        How often a bulk request rejected with 429 (cluster busy) is retried, with backoff.

    Example
    -------
    >>> index = OpenSearchIndex.for_aws("https://search-hub-abc.eu-west-1.es.amazonaws.com", "eu-west-1")
    >>> if index.needs_rebuild:
    ...     index.rebuild(cluster_store.clusters())
    >>> index.search(SearchQuery(text="三体", boost_member="pku")).hits[0].title
    '三体'
    """

    def __init__(
        self,
        client: OpenSearch,
        *,
        alias: str = "consortium-bib",
        version: int = SCHEMA_VERSION,
        batch_size: int = 500,
        chinese_analyzer: bool = True,
        refresh: Refresh = "true",
        bulk_retries: int = 3,
    ) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", alias):
            raise ConfigError(f"{alias!r} is not a valid index alias (lower case letters, digits, - _ .)")
        self.client = client
        self.alias = alias
        self.version = version
        self.batch_size = batch_size
        self.refresh = refresh
        self.bulk_retries = bulk_retries
        self._template = load_template(version, chinese_analyzer=chinese_analyzer)
        self._name = re.compile(rf"{re.escape(alias)}-v(\d+)-(\d+)")
        self._ready = False
        self._needs_rebuild = False

    @classmethod
    def for_aws(
        cls,
        endpoint: str,
        region: str,
        *,
        session: Any = None,
        service: str = "es",
        timeout: float = 30.0,
        **options: Any,
    ) -> OpenSearchIndex:
        """An index on an Amazon OpenSearch Service domain, every request signed with SigV4.

        Parameters
        ----------
        endpoint
            The domain endpoint, with or without ``https://``.
        region
            The domain's region.
        session
            A ``boto3.Session`` whose credentials sign the requests (default: a new one, so boto3's usual
            chain: environment, profile, the Lambda or instance role). Temporary credentials are refreshed.
        service
            ``"es"`` for a managed domain, ``"aoss"`` for OpenSearch Serverless.
        options
            Passed to the constructor (``alias``, ``batch_size``...); ``refresh`` defaults to ``"wait_for"``.

        Raises
        ------
        ConfigError
            No credentials were found.
        """
        credentials = (session or boto3.Session()).get_credentials()
        if credentials is None:
            raise ConfigError("no AWS credentials to sign OpenSearch requests (boto3 found none)", endpoint=endpoint)
        url = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
        if not url.hostname:
            raise ConfigError(f"{endpoint!r} is not an OpenSearch endpoint", endpoint=endpoint)
        client = OpenSearch(
            hosts=[{"host": url.hostname, "port": url.port or 443, "scheme": url.scheme}],
            http_auth=Urllib3AWSV4SignerAuth(credentials, region, service),
            use_ssl=url.scheme == "https",
            verify_certs=True,
            connection_class=Urllib3HttpConnection,
            timeout=timeout,
            max_retries=3,
            retry_on_timeout=True,
            http_compress=True,
        )
        options.setdefault("refresh", "wait_for")
        return cls(client, **options)

    # -- the alias and its indices -------------------------------------------------------------------

    @property
    def needs_rebuild(self) -> bool:
        """Whether the alias points at an index of another schema version (an older release's template): asks
        the cluster on first use (:meth:`ensure`)."""
        self.ensure()
        return self._needs_rebuild

    def ensure(self) -> None:
        """Make sure the alias exists: when missing, make the first concrete index with it (done once,
        before the first read or write; safe when several processes race to do it)."""
        if self._ready:
            return
        with _errors(f"opening the search index {self.alias}"):
            current = self._current_indices()
            if not current:
                name = self._index_name(self._next_counter())
                try:
                    self.client.indices.create(index=name, body=self._index_body(alias=True))
                    log.info("created search index %s behind alias %s", name, self.alias)
                except os_errors.RequestError as exc:
                    if exc.error != "resource_already_exists_exception":
                        raise
                current = self._current_indices()
        prefix = f"{self.alias}-v{self.version}-"
        self._needs_rebuild = not all(name.startswith(prefix) for name in current)
        self._ready = True

    def concrete_indices(self) -> list[str]:
        """The indices the alias points at now (one, unless something outside this class changed it)."""
        with _errors(f"reading the alias {self.alias}"):
            return self._current_indices()

    def _current_indices(self) -> list[str]:
        try:
            found = self.client.indices.get_alias(name=self.alias)
        except os_errors.NotFoundError:
            return []
        return sorted(found)

    def _next_counter(self) -> int:
        """One more than the highest counter of any index of this alias, whatever its version."""
        existing = self.client.indices.get(index=f"{self.alias}-v*", expand_wildcards="all")
        counters = [int(m.group(2)) for name in existing if (m := self._name.fullmatch(name))]
        return max(counters, default=0) + 1

    def _index_name(self, counter: int) -> str:
        return f"{self.alias}-v{self.version}-{counter:06d}"

    def _index_body(self, *, alias: bool, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        body = copy.deepcopy(self._template["template"])
        body["settings"] = {**body.get("settings", {}), **(settings or {})}
        if alias:
            body["aliases"] = {self.alias: {}}
        return dict(body)

    # -- writes --------------------------------------------------------------------------------------

    def upsert(self, clusters: Iterable[Cluster]) -> None:
        """Index ``clusters`` (bulk ``index`` operations, id = ``cluster_id``), :attr:`batch_size` a request."""
        self.ensure()
        actions = (
            {"_op_type": "index", "_index": self.alias, "_id": c.cluster_id, "_source": index_document(c)}
            for c in clusters
        )
        with _errors(f"indexing into {self.alias}"):
            self._bulk(actions, target=self.alias)

    def delete(self, cluster_ids: Iterable[str]) -> None:
        """Remove these clusters (bulk ``delete`` operations); ids not in the index are ignored."""
        self.ensure()
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": cluster_id} for cluster_id in cluster_ids)
        with _errors(f"deleting from {self.alias}"):
            self._bulk(actions, target=self.alias, ignore_status=(404,))

    def clear(self) -> None:
        """Remove every document (``delete_by_query``, refreshed: this one always forces a refresh)."""
        self.ensure()
        with _errors(f"clearing {self.alias}"):
            self.client.delete_by_query(
                index=self.alias, body={"query": {"match_all": {}}}, refresh=True, conflicts="proceed"
            )

    def rebuild(self, clusters: Iterable[Cluster]) -> None:
        """Reindex without downtime: load ``clusters`` into a new concrete index of this schema version,
        then swap the alias to it in one atomic ``update_aliases`` call and delete the old index.

        Searches see the old index, complete, until the swap, and the new one after it. Writes made by others
        while the rebuild runs go to the old index and are lost with it: rebuild from the cluster store and
        pause incremental indexing meanwhile. A search already running on the old index when it is deleted
        may fail on a real cluster (a :class:`~consortium.errors.StorageError`, retryable). If loading or the
        swap fails, the new index is deleted and the alias is left as it was (a process killed meanwhile leaves
        the new index behind, without the alias: delete it by hand).
        """
        with _errors(f"rebuilding {self.alias}"):
            old = self._current_indices()
            name = self._index_name(self._next_counter())
            refresh_interval = self._template["template"].get("settings", {}).get("refresh_interval")
            self.client.indices.create(
                index=name, body=self._index_body(alias=False, settings={"refresh_interval": "-1"})
            )
            try:
                self._bulk(
                    (
                        {"_op_type": "index", "_index": name, "_id": c.cluster_id, "_source": index_document(c)}
                        for c in clusters
                    ),
                    target=name,
                    refresh_at_end=False,
                )
                self.client.indices.put_settings(index=name, body={"index": {"refresh_interval": refresh_interval}})
                self.client.indices.refresh(index=name)
                actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": self.alias}} for index in old]
                actions.append({"add": {"index": name, "alias": self.alias}})
                self.client.indices.update_aliases(body={"actions": actions})
            except BaseException:
                self.client.indices.delete(index=name, ignore_unavailable=True)
                raise
            log.info("search alias %s moved from %s to %s", self.alias, ", ".join(old) or "nothing", name)
            for index in old:
                self.client.indices.delete(index=index, ignore_unavailable=True)
        self._ready = True
        self._needs_rebuild = False

    def _bulk(
        self,
        actions: Iterator[dict[str, Any]],
        *,
        target: str,
        ignore_status: tuple[int, ...] = (),
        refresh_at_end: bool = True,
    ) -> None:
        """Send ``actions`` in batches; the writes are searchable on return when ``refresh_at_end``."""
        batch = list(islice(actions, self.batch_size))
        wrote = False
        while batch:
            following = list(islice(actions, self.batch_size))
            extra: dict[str, Any] = {}
            if refresh_at_end and not following and self.refresh == "wait_for":
                extra["refresh"] = "wait_for"
            bulk(
                self.client,
                batch,
                chunk_size=self.batch_size,
                max_chunk_bytes=_MAX_CHUNK_BYTES,
                max_retries=self.bulk_retries,
                ignore_status=ignore_status,
                **extra,
            )
            wrote = True
            batch = following
        if wrote and refresh_at_end and self.refresh == "true":
            self.client.indices.refresh(index=target)

    # -- reads ---------------------------------------------------------------------------------------

    def count(self) -> int:
        self.ensure()
        with _errors(f"counting {self.alias}"):
            return int(self.client.count(index=self.alias)["count"])

    def search(self, query: SearchQuery) -> SearchResult:
        self.ensure()
        plan = plan_query(query)
        body = search_body(query, plan)
        with _errors(f"searching {self.alias}"):
            response = self.client.search(index=self.alias, body=body)
        return search_result(query, plan, response)

    def class_counts(self, parent: str, query: SearchQuery | None = None) -> dict[str, int]:
        """A ``terms`` aggregation over ``class_tree``, only the edges out of ``parent`` (``include``)."""
        self.ensure()
        with _errors(f"counting the classes under {parent} in {self.alias}"):
            response = self.client.search(index=self.alias, body=class_counts_body(parent, query))
        return class_counts_result(parent, response)

    def similar_terms(self, word: str, fields: Sequence[str]) -> dict[str, int]:
        """A term suggester per field, its options kept when within reach."""
        if not correctable(word):
            return {}
        self.ensure()
        with _errors(f"suggesting terms in {self.alias}"):
            response = self.client.search(index=self.alias, body=similar_terms_body(word, fields))
        return similar_terms_result(word, response)
