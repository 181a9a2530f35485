"""One API worker process of ``consortium run --workers N`` (:mod:`consortium.http.prefork` starts them):
``python -m consortium.http.worker --host H --port P --channel-fd FD --worker N --threads T --functions-dir DIR``
(and ``--portal-dir DIR``, ``--demo-reader JSON``...: the portal in front of the API, as in one process).

The worker listens on the port the hub bound (``SO_REUSEPORT``: every worker has a socket of its own on it, and the
kernel spreads new connections over them) and serves it with waitress and its own threads, each thread with its
own import of the apps, as :func:`~consortium.cli.api.start_server` does in one process. Its answers say which
worker gave them (:data:`~consortium.http.server.WORKER_HEADER`).

The channel is one end of a socket pair whose other end only the parent holds. The worker says ``ready`` on it
once it serves; when the parent's end closes (the parent stopped, even killed with SIGKILL), the worker reads
the end of the stream and stops too, so no worker outlives its hub. SIGTERM or SIGINT stops the worker gracefully
(:class:`~consortium.http.serving.LocalServer`): it takes no new connection, answers the requests under way (for up
to :data:`~consortium.http.serving.DRAIN` seconds), closes its idle connections and exits.

The worker writes nothing to the search index and runs no scheduled job: the parent does both.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from consortium.auth.callers import StaffRole
from consortium.auth.tokens import LocalTokenIssuer
from consortium.config import Settings
from consortium.errors import ConsortiumError
from consortium.http.portal import DemoLogin, DemoReader, PortalSite, SignIn
from consortium.http.server import APPS, LocalGateway, load_module
from consortium.http.serving import serve

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

__all__ = ["READY", "demo_reader_args", "listen", "main", "reuse_port"]

READY = b"ready\n"
"""What a worker sends on its channel once it serves."""


def reuse_port(sock: socket.socket) -> None:
    """Let several sockets of this user bind the address of ``sock`` (``SO_REUSEPORT``)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A TCP socket listening on ``host``:``port`` beside the other workers' (``SO_REUSEPORT``)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    reuse_port(sock)
    sock.bind(address)
    sock.listen(backlog)
    return sock


def demo_reader_args(readers: Sequence[DemoReader]) -> list[str]:
    """The arguments that give a worker the demo readers its portal lets anyone log in as."""
    return [f"--demo-reader={json.dumps(reader.as_dict(), ensure_ascii=False)}" for reader in readers]


def _demo_reader(text: str) -> DemoReader:
    try:
        data = json.loads(text)
        roles = tuple(StaffRole(role) for role in data.get("roles", ()))
        return DemoReader(data["reader"], data["member"], data["label"], roles)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise argparse.ArgumentTypeError(
            f"not a demo reader ({{reader, member, label[, roles]}} as JSON): {text!r}"
        ) from exc


def _site(args: argparse.Namespace, gateway: LocalGateway) -> LocalGateway | PortalSite:
    """What the worker serves: the API alone, or the portal in front of it (with its demo login, or the OpenID
    Connect sign-in of the settings)."""
    if args.portal_dir is None:
        return gateway
    settings = Settings()  # the hub's, from the environment it passed on
    demo = None
    if args.demo_reader:
        issuer = LocalTokenIssuer(settings.signing_key_file, issuer=settings.public_url)
        demo = DemoLogin(issuer, tuple(args.demo_reader))
    return PortalSite(gateway, args.portal_dir, demo=demo, signin=SignIn.from_settings(settings))


def _stop(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(0)  # while starting: nothing served yet


def _watch_parent(channel: socket.socket) -> None:
    """Block until the parent's end of the channel closes, then stop this worker."""
    try:
        while channel.recv(64):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the inherited socket until SIGTERM, SIGINT or the parent's end."""
    parser = argparse.ArgumentParser(prog="python -m consortium.http.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="where the hub serves the API")
    parser.add_argument("--port", type=int, required=True, help="the port the hub bound")
    parser.add_argument("--channel-fd", type=int, required=True, help="this worker's end of the parent's channel")
    parser.add_argument("--worker", type=int, required=True, help="this worker's number (1 to N)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--functions-dir", type=Path, required=True, help="the apps to serve")
    parser.add_argument("--portal-dir", type=Path, help="the portal's files, served beside the API")
    parser.add_argument(
        "--demo-reader", type=_demo_reader, action="append", default=[], help="a demo reader to log in as (JSON)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    channel = socket.socket(fileno=args.channel_fd)
    try:
        listening = listen(args.host, args.port)
        origins = Settings().cors_origins  # the hub's own settings, inherited with its environment
        gateway = LocalGateway(
            lambda name: load_module(args.functions_dir, name), APPS, worker=args.worker, origins=origins
        )
        site = _site(args, gateway)
    except (ConsortiumError, OSError) as exc:
        print(f"API worker {args.worker}: {exc}", file=sys.stderr)  # the hub says the rest
        sys.exit(1)
    server = serve(site, threads=args.threads, sock=listening)
    for signum in (signal.SIGTERM, signal.SIGINT):  # from now on, a graceful stop (LocalServer.run)
        signal.signal(signum, lambda *_: server.request_stop())
    channel.sendall(READY)
    threading.Thread(target=_watch_parent, args=(channel,), name="parent-watch", daemon=True).start()
    server.run()  # returns once stopped: connections answered and closed, threads ended, the apps' files closed
    sys.stdout.flush()
    sys.stderr.flush()
    # Nothing is left to save: skip the interpreter's teardown of every module and object, which takes a loaded
    # machine a second or more, during which the hub waits to be stopped.
    os._exit(0)


if __name__ == "__main__":
    main()
