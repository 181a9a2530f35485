"""``make package``: the functions' code asset, one folder laid out as the repository is (``consortium/`` and its
dependencies at the top, ``functions/<app>/app.py``, ``members.toml`` with the files its sources name, and
``policies/consent.toml``), so the core's defaults find the registry and the consent policy where they look and
every function's handler is ``functions.<app>.app.<handler>``.

Run as ``python -m hubstack.package [--members FILE] [TARGET]`` (default ``build/lambda``). The dependencies are
the manylinux wheels for CPython 3.12 (Lambda's runtime) of ``functions/discovery/requirements.txt`` (the core's
runtime pins), so the folder runs on Lambda's x86_64 Python 3.12 whatever this machine is.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from consortium.http.server import APPS
from consortium.members import load_registry
from hubstack.config import REPO_ROOT

__all__ = ["build", "main"]

PLATFORM_WHEELS = [
    *("--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64"),
    *("--implementation", "cp", "--python-version", "3.12"),
]
"""Wheels for Lambda's Python 3.12 on x86_64 (Amazon Linux 2023, glibc 2.34): see hubstack.lambdas.RUNTIME."""
CHALICE = "chalice==1.34.0"
"""The apps import ``chalice.app`` at run time (only that module: installed without its dependencies)."""


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=True, cwd=REPO_ROOT)


def build(target: Path, members_file: Path) -> Path:
    """Build the asset folder at ``target`` (replaced) for the registry ``members_file``; returns ``target``."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    requirements = REPO_ROOT / "functions" / "discovery" / "requirements.txt"
    _pip("--target", str(target), *PLATFORM_WHEELS, "--only-binary=:all:", "-r", str(requirements))
    _pip("--target", str(target), "--no-deps", str(REPO_ROOT), CHALICE)
    for app in (*APPS, "harvest"):
        folder = REPO_ROOT / "functions" / app
        (target / "functions" / app).mkdir(parents=True)
        for path in folder.iterdir():
            if path.is_file() and path.suffix in (".py", ".json"):
                shutil.copy2(path, target / "functions" / app / path.name)
    registry = load_registry(members_file)
    shutil.copy2(members_file, target / "members.toml")
    for member in registry.members:
        for source in member.sources:
            if source.path is not None:
                relative = source.path.relative_to(members_file.parent.resolve())
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source.path, target / relative)
    shutil.copy2(Path(__file__).with_name("rebuild.Dockerfile"), target / "Dockerfile")  # hubstack.rebuild's image
    (target / "policies").mkdir()
    shutil.copy2(REPO_ROOT / "policies" / "consent.toml", target / "policies" / "consent.toml")
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="build the functions' code asset for the CDK app")
    parser.add_argument("target", nargs="?", default=str(REPO_ROOT / "build" / "lambda"))
    parser.add_argument("--members", default=str(REPO_ROOT / "members.toml"), help="the member registry to deploy")
    args = parser.parse_args(argv)
    folder = build(Path(args.target), Path(args.members).resolve())
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    print(f"{folder}: {size / 1e6:.1f} MB (Lambda takes at most 250 MB unzipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
