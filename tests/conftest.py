"""Fixtures shared by every test suite.

Keys
    ``keys_never_in_home`` (every test, automatically) points ``CONSORTIUM_KEY_DIR`` and ``XDG_DATA_HOME`` at a
    folder of the session, so no test writes a key into the real home directory, whatever it forgets to set.
    A test that sets ``CONSORTIUM_DATA_DIR`` sets ``CONSORTIUM_KEY_DIR`` beside it too (its own keys).

AWS
    ``moto_server`` runs moto's server on 127.0.0.1 for the whole session (started only when a test asks for
    it) with dummy credentials in the environment; ``aws_client`` makes boto3 clients pointed at it.

Open files
    ``--fd-report=FILE`` (off by default) writes which tests leave descriptors open (:mod:`fd_report`).

Mail
    ``smtp_server`` starts an aiosmtpd server on 127.0.0.1 with a :class:`mail_peers.Recorder` handler and returns
    an :class:`~consortium.adapters.local.smtp_mailer.SmtpMailer` pointed at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mail_peers import Recorder

    from consortium.adapters.local.smtp_mailer import SmtpMailer

AWS_REGION = "us-east-1"
_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": AWS_REGION,
}


@pytest.fixture(scope="session", autouse=True)
def keys_never_in_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Key settings of the session's own (see the module notes); the process environment, so the ``consortium``
    processes tests start inherit them."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_DATA_HOME", str(home / "data"))
        env.setenv("CONSORTIUM_KEY_DIR", str(home / "keys"))
        env.delenv("CONSORTIUM_ALLOW_KEYS_IN_DATA_DIR", raising=False)
        yield


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of a moto server shared by the session (state persists: use fresh resource names)."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        for name, value in _AWS_ENV.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def aws_client(moto_server: str) -> Callable[[str], Any]:
    """Make a boto3 client for a service (``"dynamodb"``, ``"s3"``...) against the moto server."""
    import boto3

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=moto_server,
            region_name=AWS_REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make


@pytest.fixture(scope="session")
def opensearch_server() -> Iterator[str]:
    """The URL of an osmem-server on 127.0.0.1 for the whole session: an in-memory server of the OpenSearch 3.x
    REST API (a binary bundled in the ``osmem-server`` wheel, no JVM), on a port it picks free. It has neither
    the smartcn nor the ICU analysis plugin. State persists across tests: use fresh index and alias names."""
    import time
    import urllib.request

    from osmem_server import OsmemServer

    server = OsmemServer.start(addr="127.0.0.1:0", japanese=False, startup_timeout=60)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(server.url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"osmem-server at {server.url} did not answer within 30 s")
            time.sleep(0.05)
        yield server.url
    finally:
        server.close()


@pytest.fixture
def smtp_server() -> Iterator[Callable[[Recorder], SmtpMailer]]:
    """Start an aiosmtpd server on 127.0.0.1 with a handler; returns a mailer pointed at it."""
    controllers: list[Any] = []

    from aiosmtpd.controller import Controller
    from mail_peers import free_port

    from consortium.adapters.local.smtp_mailer import SmtpMailer

    def start(handler: Recorder) -> SmtpMailer:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return SmtpMailer("127.0.0.1", port, timeout=5.0)

    yield start
    for controller in controllers:
        controller.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fd-report",
        metavar="FILE",
        help="write, as JSON lines, which tests leave descriptors open (tests/fd_report.py; Linux only)",
    )


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("--fd-report")
    if target:
        from pathlib import Path

        from fd_report import FdReport

        config.pluginmanager.register(FdReport(Path(target)), "fd-report")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After a run that included the fault-injection suite, print its outcome table (kept/lost per fault)."""
    import sys

    module = sys.modules.get("fault_table")
    if module is not None and module.ROWS:
        terminalreporter.write_sep("-", "fault matrix: kept / lost per injected fault")
        terminalreporter.write_line(module.table())
