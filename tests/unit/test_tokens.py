"""Tokens: one verification path (a JWKS, found by ``kid``) for the hub's local signing key and for a Cognito user
pool's RS256 keys served over HTTP; every way a token can be wrong is a 401-worthy AuthenticationError."""

from __future__ import annotations

import base64
import datetime as dt
import json
import multiprocessing
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from consortium.auth import CallerKind, LocalTokenIssuer, StaffRole
from consortium.auth.tokens import GROUPS_CLAIM, MEMBER_CLAIM, jwks_verifier
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.errors import AuthenticationError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def test_a_local_token_names_its_reader_or_staff_account(tmp_path: Path) -> None:
    issuer = LocalTokenIssuer(tmp_path / "signing.pem")
    verifier = issuer.verifier()
    reader = verifier.verify(issuer.issue("alice", member="riverside"))
    assert (reader.kind, reader.subject, reader.member) == (CallerKind.READER, "alice", "riverside")
    staff = verifier.verify(issuer.issue("desk", member="riverside", roles=[StaffRole.SUBJECT_LIBRARIAN]))
    assert (staff.kind, staff.roles) == (CallerKind.STAFF, frozenset({StaffRole.SUBJECT_LIBRARIAN}))
    # the key is kept: a second issuer on the same file signs tokens the first verifies
    assert verifier.verify(LocalTokenIssuer(tmp_path / "signing.pem").issue("bob")).subject == "bob"
    assert (tmp_path / "signing.pem").stat().st_mode & 0o777 == 0o600


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _issuer_kid(key_file: Path, start: Any, kids: Any) -> None:
    start.wait()
    kids.put(LocalTokenIssuer(key_file).kid)


def test_api_workers_starting_at_once_share_one_signing_key(tmp_path: Path) -> None:
    # ``consortium run --workers N`` starts N processes on a fresh data folder: each makes the key if it is missing;
    # all must end up holding the one key on disk, or a token one worker signs is refused by the next
    context = multiprocessing.get_context("fork")
    for attempt in range(3):
        key_file = tmp_path / f"attempt-{attempt}" / "api-signing-key.pem"
        start, kids = context.Barrier(6), context.Queue()
        workers = [context.Process(target=_issuer_kid, args=(key_file, start, kids)) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0] * 6
        assert {kids.get(timeout=5) for _ in workers} == {LocalTokenIssuer(key_file).kid}
        assert [path.name for path in key_file.parent.iterdir()] == ["api-signing-key.pem"]  # no partial left


def test_every_bad_token_is_refused_with_a_reason(tmp_path: Path) -> None:
    issuer = LocalTokenIssuer(tmp_path / "signing.pem")
    verifier = issuer.verifier()
    good = issuer.issue("alice", member="riverside")
    unsigned = jwt.encode({"sub": "alice", "iss": issuer.issuer, "aud": "consortium-local"}, None, algorithm="none")
    hs256 = jwt.encode(
        {"sub": "a", "iss": issuer.issuer, "aud": "consortium-local", "iat": 1, "exp": 2**31},
        "x" * 32,
        algorithm="HS256",
        headers={"kid": issuer.kid},
    )
    cases = {
        "tampered": (_tampered(good), "signature"),
        "expired": (issuer.issue("alice", lifetime=dt.timedelta(minutes=-5)), "expired"),
        "other audience": (issuer.issue("alice", audience="someone-else"), "(?i)audience"),
        "alg none": (unsigned, "no signing key"),
        "hs256 with our kid": (hs256, "not valid"),
        "not a jwt": ("hello", "not valid"),
        "too long": ("a" * 9_000, "longer"),
        "staff without member": (issuer.issue("desk", roles=[StaffRole.MEMBER_ADMIN]), "member"),
    }
    for name, (token, reason) in cases.items():
        with pytest.raises(AuthenticationError, match=reason):
            verifier.verify(token)
        assert name


class _Jwks(BaseHTTPRequestHandler):
    document: bytes = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def user_pool() -> Iterator[tuple[rsa.RSAPrivateKey, str]]:
    """A Cognito-like user pool: an RS256 key and its JWKS served on 127.0.0.1."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    _Jwks.document = json.dumps({"keys": [jwk | {"kid": "pool-key-1", "alg": "RS256", "use": "sig"}]}).encode()
    server = HTTPServer(("127.0.0.1", 0), _Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_user_pool_id_token_is_verified_against_its_jwks(user_pool: tuple[rsa.RSAPrivateKey, str]) -> None:
    key, base = user_pool
    issuer = f"{base}/us-east-1_pool"
    verifier = jwks_verifier(f"{issuer}/.well-known/jwks.json", issuer=issuer, audience="client-1")
    now = int(time.time())
    claims = {"sub": "f00d", "iss": issuer, "aud": "client-1", "iat": now, "exp": now + 600, "token_use": "id"}
    staff = claims | {MEMBER_CLAIM: "riverside", GROUPS_CLAIM: ["member-admin", "readers"]}
    sign = lambda c, kid="pool-key-1": jwt.encode(c, key, algorithm="RS256", headers={"kid": kid})  # noqa: E731
    assert verifier.verify(sign(claims)).kind is CallerKind.READER
    found = verifier.verify(sign(staff))
    assert (found.kind, found.member, found.roles) == (
        CallerKind.STAFF,
        "riverside",
        frozenset({StaffRole.MEMBER_ADMIN}),
    )
    for bad, reason in (
        (sign(claims | {"iss": "https://elsewhere"}), "(?i)issuer"),
        (sign(claims | {"aud": "other-client"}), "(?i)audience"),
        (sign(claims, kid="unknown"), "unknown"),
    ):
        with pytest.raises(AuthenticationError, match=reason):
            verifier.verify(bad)


def test_the_aws_backend_refuses_to_run_without_a_user_pool(tmp_path: Path) -> None:
    container = bootstrap(Settings(backend="aws", data_dir=tmp_path))
    with pytest.raises(ConfigError, match="COGNITO"):
        _ = container.token_verifier
    with pytest.raises(ConfigError, match="Cognito"):
        _ = container.token_issuer
