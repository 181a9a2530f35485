"""The readers' portal served beside the API by ``consortium run``: its pages and files, its ``config.json``, the
demo login, and what no answer may do (set a cookie, leave the portal's folder, let a page load another site)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import jwt
import pytest
import requests
from factories import make_cluster

from consortium.auth import StaffRole
from consortium.bootstrap import bootstrap
from consortium.cli.api import start_server
from consortium.dedup.state import ClusterChange
from consortium.http.portal import DEMO_LOGIN_PATH, DemoReader

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from consortium.bootstrap import Container

PORTAL_PAGES = ("index.html", "work.html", "new.html", "login.html", "me.html", "staff.html")


def _hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: list[DemoReader]) -> Iterator[tuple[Container, str]]:
    monkeypatch.setenv("CONSORTIUM_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CONSORTIUM_KEY_DIR", str(tmp_path / "keys"))
    container = bootstrap()
    container.cluster_store.apply(ClusterChange(saved=[make_cluster("w1", "红楼梦", ("riverside", "lakeside"))]))
    server, thread = start_server(container, "127.0.0.1", 0, demo_readers=demo)
    yield container, f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=10)
    container.close()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Container, str]]:
    yield from _hub(tmp_path, monkeypatch, [])


@pytest.fixture
def demo_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Container, str]]:
    admin = DemoReader("riverside-admin", "riverside", "Riverside admin", (StaffRole.MEMBER_ADMIN,))
    yield from _hub(tmp_path, monkeypatch, [DemoReader("alice", "riverside", "Alice (Riverside)"), admin])


def test_every_page_is_served_with_its_scripts_and_the_security_headers(hub: tuple[Container, str]) -> None:
    container, base = hub
    home = requests.get(f"{base}/", timeout=10)
    assert home.status_code == 200 and home.headers["Content-Type"] == "text/html; charset=utf-8"
    assert home.text == (container.settings.portal_dir / "index.html").read_text(encoding="utf-8")
    for page in PORTAL_PAGES:
        answer = requests.get(f"{base}/{page}", timeout=10)
        assert answer.status_code == 200, page
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "Set-Cookie" not in answer.headers
        assert 'href="assets/portal.css"' in answer.text and '<script type="module" src="assets/js/' in answer.text
    script = requests.get(f"{base}/assets/js/core.js", timeout=10)
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "export function t(" in script.text


def test_every_page_loads_only_files_of_the_portal(hub: tuple[Container, str]) -> None:
    """No CDN: each page's scripts, style sheets and icons are the portal's own files (and each exists)."""
    container, base = hub
    root = container.settings.portal_dir
    for page in PORTAL_PAGES:
        text = (root / page).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and 'src="//' not in text and 'href="//' not in text
        for asset in re.findall(r'(?:src|href)="([^"#:]+)"', text):
            assert requests.get(f"{base}/{asset}", timeout=10).status_code == 200, f"{page}: {asset}"
    for module in (root / "assets" / "js").glob("*.js"):
        source = module.read_text(encoding="utf-8")
        assert "https://" not in source and "http://" not in source, module.name
        assert ".innerHTML" not in source, f"{module.name} writes HTML: harvested text must go in as text"


def test_both_languages_have_the_same_messages(hub: tuple[Container, str]) -> None:
    container, _ = hub
    folder = container.settings.portal_dir / "assets" / "i18n"
    english = json.loads((folder / "en.json").read_text(encoding="utf-8"))
    chinese = json.loads((folder / "zh.json").read_text(encoding="utf-8"))
    assert english.keys() == chinese.keys()
    untranslated = [key for key in english if english[key] == chinese[key] and any(c.isalpha() for c in english[key])]
    assert set(untranslated) <= {"field.isbn", "export.bibtex", "export.marcxml", "export.marc"}, untranslated
    for key, text in english.items():
        assert set(_placeholders(text)) == set(_placeholders(chinese[key])), key


def _placeholders(text: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", text)


def test_api_routes_come_first_and_unknown_paths_are_the_apis_404(hub: tuple[Container, str]) -> None:
    _, base = hub
    work = requests.get(f"{base}/works/w1", timeout=10)
    assert work.headers["Content-Type"] == "application/json" and work.json()["work"]["title"] == "红楼梦"
    for path in ("/nowhere.html", "/assets/nothing.js", "/../pyproject.toml", "/assets/../../pyproject.toml",
                 "/%2e%2e/pyproject.toml", "/.git/config", "/assets/js/", "/portal.py"):  # fmt: skip
        answer = requests.get(f"{base}{path}", timeout=10)
        assert answer.status_code == 404, path
        assert answer.json()["Code"] == "NotFoundError", path


def test_a_file_unchanged_since_it_was_fetched_is_not_sent_again(hub: tuple[Container, str]) -> None:
    _, base = hub
    first = requests.get(f"{base}/assets/portal.css", timeout=10)
    again = requests.get(f"{base}/assets/portal.css", headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    head = requests.head(f"{base}/index.html", timeout=10)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) > 1000


def test_without_demo_the_portal_asks_for_a_token_and_has_no_demo_login(hub: tuple[Container, str]) -> None:
    _, base = hub
    assert requests.get(f"{base}/config.json", timeout=10).json()["auth"]["mode"] == "token"
    assert requests.post(f"{base}{DEMO_LOGIN_PATH}", json={"reader": "alice"}, timeout=10).status_code in (404, 405)


def test_the_demo_login_gives_a_token_for_a_demo_reader_only(demo_hub: tuple[Container, str]) -> None:
    container, base = demo_hub
    assert requests.get(f"{base}/config.json", timeout=10).json()["auth"]["mode"] == "demo"
    listing = requests.get(f"{base}{DEMO_LOGIN_PATH}", timeout=10).json()
    assert listing == {
        "readers": [{"reader": "alice", "member": "riverside", "label": "Alice (Riverside)"}],
        "staff": [
            {"reader": "riverside-admin", "member": "riverside", "label": "Riverside admin", "roles": ["member-admin"]}
        ],
    }
    answer = requests.post(f"{base}{DEMO_LOGIN_PATH}", json={"reader": "alice"}, timeout=10)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    caller = container.token_verifier.verify(answer.json()["token"])
    assert (caller.subject, caller.member) == ("alice", "riverside")
    assert jwt.get_unverified_header(answer.json()["token"])["alg"] == "EdDSA"
    refused = requests.post(f"{base}{DEMO_LOGIN_PATH}", json={"reader": "bob"}, timeout=10)
    assert refused.status_code == 403 and "demo readers" in refused.json()["Message"]
    staff = requests.post(f"{base}{DEMO_LOGIN_PATH}", json={"reader": "riverside-admin"}, timeout=10).json()
    admin = container.token_verifier.verify(staff["token"])
    assert (admin.subject, admin.member, set(admin.roles)) == ("riverside-admin", "riverside", {StaffRole.MEMBER_ADMIN})
    garbled = requests.post(f"{base}{DEMO_LOGIN_PATH}", data=b"\xff{", timeout=10)
    assert garbled.status_code == 400 and garbled.json()["Message"].startswith("reader:")
    nested = requests.post(f"{base}{DEMO_LOGIN_PATH}", data=b"[" * 4000, timeout=10)  # too deep to read: was a 500
    assert nested.status_code == 400 and nested.json()["Message"].startswith("reader:")
