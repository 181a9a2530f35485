"""Debian's Chromium driven by Playwright for Python, headless and kept off the network: what the browser tests
(``tests/browser``) and ``bench/portal.py`` launch.

Nothing is downloaded: the browser is Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``make``), never
one of Playwright's own builds (``playwright install`` is never run), and axe-core comes from ``node_modules``
(``npm ci`` by ``make``, pinned by ``package-lock.json``).

Chromium runs as root here, hence ``--no-sandbox``. Playwright gives every launch a new temporary profile
(``--user-data-dir``); ``HOME`` and the XDG folders point at a temporary folder as well, so nothing is read from
or written to the user's own Chromium folders (the crash reporter's database included). Every host name but the
loopback address resolves to nothing (``--host-resolver-rules``), so a page that asks for a CDN fails at once
instead of waiting on the closed network; the tests still record and refuse such requests (see
``tests/browser/conftest.py``).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Playwright

__all__ = ["AXE", "CHROMIUM", "CHROMIUM_ARGS", "VIEWPORTS", "launch", "missing"]

ROOT: Final = Path(__file__).resolve().parents[1]
CHROMIUM: Final = Path("/usr/bin/chromium")
AXE: Final = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
)
"""Headless Chromium's flags: no sandbox (root), no GPU, and no traffic of its own (QUIC, background networking,
component updates, sync, a proxy, any host name but the loopback's)."""

PHONE_USER_AGENT: Final = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)

VIEWPORTS: Final[dict[str, dict[str, Any]]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": PHONE_USER_AGENT,
    },
}
"""Playwright context options of each viewport the tests run in: a 1280x800 desktop, a 375x812 touch phone."""


def missing() -> str | None:
    """Why the browser cannot run here (what to install, and how), or ``None`` when everything is there."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (make install: pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (make install: apt-get install chromium)"
    if not AXE.exists():
        return f"{AXE.relative_to(ROOT)} is missing (make install: npm ci)"
    return None


@contextlib.contextmanager
def launch(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, with :data:`CHROMIUM_ARGS` and a temporary home; closed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="chromium-home-"))
    env: dict[str, str | float | bool] = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), env=env)
    try:
        yield browser
    finally:
        browser.close()
        shutil.rmtree(home, ignore_errors=True)
