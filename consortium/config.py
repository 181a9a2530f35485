"""Settings, read from ``CONSORTIUM_*`` environment variables, with embedded defaults for one machine."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_key_dir", "parse_origins"]

_REPO_ROOT = Path(__file__).resolve().parent.parent


def default_key_dir(data_dir: Path) -> Path:
    """The key folder of ``data_dir`` when ``CONSORTIUM_KEY_DIR`` is not set: per user, outside every data folder
    (``$XDG_DATA_HOME/consortium/keys``, else ``~/.local/share/consortium/keys``), one subfolder per data folder
    (its name and a hash of its absolute path), so that erasing a reader of one hub never shreds the key of the
    same reader id in another."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "consortium" / "keys"
    where = data_dir.resolve()
    return base / f"{where.name or 'data'}-{hashlib.sha256(str(where).encode()).hexdigest()[:12]}"


def parse_origins(value: str) -> tuple[str, ...]:
    """The origins of a comma-separated setting, each ``scheme://host[:port]`` (lower-cased, no trailing slash);
    :class:`ValueError` naming the first that is not one (a path, a query, ``*``, another scheme)."""
    found: list[str] = []
    for raw in value.split(","):
        text = raw.strip().rstrip("/")
        if not text:
            continue
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
            raise ValueError(
                f"{raw.strip()!r} is not an origin: give scheme://host[:port], as https://portal.example.edu"
            )
        if parts.username or parts.password:
            raise ValueError(f"{raw.strip()!r} is not an origin: no user or password in it")
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        if origin not in found:
            found.append(origin)
    return tuple(found)


class Settings(BaseSettings):
    """Every setting of the hub. Each one is read from the environment variable ``CONSORTIUM_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CONSORTIUM_", extra="ignore")

    backend: Literal["local", "aws"] = "local"
    """Which adapter set to use: ``local`` (SQLite, tantivy) or ``aws`` (DynamoDB, S3, OpenSearch)."""

    data_dir: Path = Path("./var")
    """Where all local state lives: the SQLite database and the raw archive."""

    key_dir: Path | None = None
    """The folder of the local key file (key-encryption keys and readers' context secrets). Keep it out of the
    data folder and out of its backups: a backup holding both the data and the keys undoes erasure. Unset: a
    per-user folder outside the data folder (:func:`default_key_dir`)."""

    allow_keys_in_data_dir: bool = False
    """Allow ``key_dir`` inside ``data_dir`` (a throwaway demo); otherwise the hub refuses to start with it."""

    members_file: Path = Field(default=_REPO_ROOT / "members.toml")
    """The member registry: member libraries, their sources and their data-sharing policies."""

    functions_dir: Path = Field(default=_REPO_ROOT / "functions")
    """The Chalice apps ``consortium run`` serves (one folder each, with its ``app.py``)."""

    portal_dir: Path = Field(default=_REPO_ROOT / "portal")
    """The readers' portal (static files) ``consortium run`` serves beside the API."""

    allow_private_source_urls: bool = False
    """Let a member set, through the member API, an OAI-PMH source on this machine or a private network
    (``127.0.0.1``, ``10.x``, ``localhost``...); off by default, so a member cannot point the hub's harvester at
    the hub's own network. members.toml, the operator's file, is not held to this."""

    harvest_page_size: int = Field(default=500, ge=1, le=10_000)
    """How many file records make one checkpointed page (OAI-PMH pages are the server's own)."""

    harvest_follow_every: int = Field(default=1000, ge=1, le=10_000)
    """How many records a harvest commits before clustering and indexing follow them in one batch (and at the
    end of each run): one cluster store transaction and one search index commit a batch."""

    harvest_follow_process: bool = True
    """On the local backend, cluster and index in a second process while a harvest goes on (started by a run
    that commits more than ``harvest_follow_every`` records; see :mod:`consortium.bootstrap.follower`), so the
    two use two cores; off: they follow in the harvest's own process, between its pages."""

    http_timeout: float = Field(default=60.0, gt=0)
    """Seconds to wait for a member's server before the request counts as failed."""

    http_max_retries: int = Field(default=5, ge=0)
    """How often a transient HTTP failure (429, 5xx, connection errors) is retried, with backoff."""

    aws_region: str = "us-east-1"
    """The AWS region of every AWS adapter."""

    aws_endpoint_url: str | None = None
    """An endpoint for every AWS client (a local stand-in such as moto's server); unset on AWS itself."""

    records_table: str = "consortium-records"
    """The DynamoDB table holding normalized records, quarantine, harvest checkpoints and runs, and members'
    changes to their sources."""

    clusters_table: str = "consortium-clusters"
    """The DynamoDB table holding clusters, record placements and the blocking index."""

    opensearch_endpoint: str | None = None
    """The Amazon OpenSearch Service domain endpoint (``https://...``) of the search index on AWS."""

    opensearch_chinese_analyzer: bool = True
    """Whether the index template's Chinese (smartcn) and ICU analyzers are used: Amazon OpenSearch Service has
    both plugins; ``false`` only for a stand-in without them (the end-to-end test's osmem-server)."""

    raw_bucket: str = "consortium-raw"
    """The S3 bucket of the raw archive."""

    consent_policy_file: Path = Field(default=_REPO_ROOT / "policies" / "consent.toml")
    """The consent policy: the purposes readers are asked for, the data each uses and how long it is kept."""

    kms_key_id: str | None = None
    """The KMS key (id, ARN or ``alias/...``) that wraps readers' data keys on AWS; required by the aws backend
    for anything touching readers."""

    api_usage_key_prefix: str | None = None
    """On AWS, the stage's prefix of API Gateway usage plan keys (``consortium-<stage>``): the API authorizer
    answers each request with its member's plan key or the shared one (:mod:`consortium.http.gateway`)."""

    profiles_table: str = "consortium-profiles"
    """The DynamoDB table holding readers' wrapped keys, encrypted items and audit log."""

    reader_secrets_table: str = "consortium-reader-secrets"
    """The DynamoDB table of per-reader secrets that erasure destroys (crypto-shredding); it must have no
    point-in-time recovery and no backups, so that erasing a reader also makes backups of the profile table
    unreadable (see :mod:`consortium.adapters.aws.reader_secrets`)."""

    public_url: str = "http://127.0.0.1:8000"
    """The hub's public base URL: Atom feeds, one-click unsubscribe links and work pages hang under it."""

    portal_origins: str = ""
    """Origins of a portal served from another address than the API (comma-separated, each
    ``scheme://host[:port]``): the API answers their pages with CORS headers, and the local server answers their
    preflight requests as API Gateway does on AWS (:mod:`consortium.http.cors`). Empty, the default: only the
    API's own address, where ``consortium run`` serves the portal. The AWS deployment sets the portal's."""

    @field_validator("portal_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        return ",".join(parse_origins(value))

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """:attr:`portal_origins` as a tuple of origins."""
        return tuple(origin for origin in self.portal_origins.split(",") if origin)

    push_token_key: str = "1"
    """The generation of the key that new push tokens (feed URLs, unsubscribe links) are sealed under: 1 to 16
    lowercase letters or digits. Set a new one to rotate; tokens sealed under earlier generations keep working
    (see :mod:`consortium.push.tokens`)."""

    mail_sender: str = "Consortium hub <no-reply@consortium.invalid>"
    """The From of digest email (an address SES has verified, on AWS)."""

    smtp_host: str | None = None
    """The SMTP server for digest email on the local backend; without one, email digests wait."""

    push_queue_url: str | None = None
    """The SQS queue the scheduled push run fans out to, one message per reader shard (``functions/push``);
    without one the run goes in-process."""

    cognito_user_pool_id: str | None = None
    """The Cognito user pool whose ID tokens readers and staff log in with (aws backend: required)."""

    cognito_client_id: str | None = None
    """The user pool's app client: the ``aud`` its ID tokens must carry."""

    member_iam_api_id: str | None = None
    """The id of the member API for IAM on AWS (the REST API whose member routes take AWS Signature Version 4,
    ``AWS_IAM`` authorization): its requests' verified principal (``requestContext.identity.userArn``) acts for the
    member whose ``iam_principals`` name it. Set by the CDK stack; unset (and always locally): no AWS principal is
    believed, from any request."""

    oidc_issuer: str | None = None
    """An OpenID Connect provider readers sign in with on the local backend (a Cognito user pool, or a
    university's own provider): the ``iss`` of its ID tokens. With it (and ``oidc_client_id``) the portal signs
    readers in there (the authorization code flow with PKCE) and the API accepts its ID tokens, verified against
    its JWKS, beside the hub's own tokens from ``consortium login``. Unset: no outside sign-in."""

    oidc_client_id: str | None = None
    """The portal's (public) client at the OpenID Connect provider: the ``aud`` its ID tokens must carry."""

    oidc_jwks_url: str | None = None
    """Where the provider publishes its signing keys; unset: ``<oidc_issuer>/.well-known/jwks.json`` (Cognito's)."""

    oidc_authorize_url: str | None = None
    """The provider's authorization endpoint the portal sends readers to; unset: ``<oidc_issuer>/oauth2/authorize``
    (a Cognito domain's path; for Cognito itself give ``https://<domain>/oauth2/authorize``)."""

    oidc_token_url: str | None = None
    """The provider's token endpoint the portal exchanges the code at; unset: ``<oidc_issuer>/oauth2/token``."""

    harvest_queue_url: str | None = None
    """The SQS queue a harvest a member asks for through the member API is sent to (a harvest Lambda runs it);
    without one, the local hub runs it in a worker thread of its process, and the aws backend at once, in the
    call."""

    harvest_queue_dir: Path | None = None
    """A folder where the local API hands the harvests members ask for to the hub's own process, which runs them
    (:class:`~consortium.adapters.local.folder_queue.FolderQueue`). ``consortium run --workers N`` sets it for its
    worker processes, so that only the hub's process harvests and writes the search index."""

    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "consortium.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def profiles_path(self) -> Path:
        """The local profile store's SQLite database (readers' wrapped keys, ciphertexts, audit log)."""
        return self.data_dir / "profiles.sqlite3"

    @property
    def key_file(self) -> Path:
        """The local key file (key-encryption keys) in ``key_dir``; its per-reader secrets live in
        ``kek.json.contexts/`` beside it."""
        return (self.key_dir or default_key_dir(self.data_dir)) / "kek.json"

    @property
    def signing_key_file(self) -> Path:
        """The local backend's token signing key (Ed25519, PEM) in ``key_dir``, beside the key file."""
        return (self.key_dir or default_key_dir(self.data_dir)) / "api-signing-key.pem"

    @property
    def legacy_key_file(self) -> Path:
        """Where the key file was before ``key_dir``: inside the data folder."""
        return self.data_dir / "keys" / "kek.json"

    @property
    def member_files_dir(self) -> Path:
        """The folder with one folder per member (``<member>/``) holding the files the file sources a member sets
        through the member API load (the API names a file inside it, never a path elsewhere)."""
        return self.data_dir / "member-files"

    @property
    def evidence_path(self) -> Path:
        """The local store of the ranking evidence the scheduler rebuilds (counts only; on AWS, the object
        ``evidence/ranking-evidence.json`` in ``raw_bucket``)."""
        return self.data_dir / "evidence" / "ranking-evidence.json"

    @property
    def archive_path(self) -> Path:
        """The raw archive's SQLite database (the local default archive)."""
        return self.data_dir / "raw.sqlite3"
