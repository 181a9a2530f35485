"""The shape of the code, checked: the import contracts of pyproject.toml ([tool.importlinter]: layers, adapter
sets apart, cloud and database clients only in adapters), no two packages importing each other even through
others, and modules of one idea each (not over ~400 lines)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 420
"""A module's size limit: "under ~400 lines" with a little slack for a module's notes."""


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _unit(module: str, root: str) -> str:
    """What a module counts as: itself when it is a package or sits right under the root package (``consortium.
    ports``), else the package it is in (``consortium.push.job`` is ``consortium.push``)."""
    parent = module.rpartition(".")[0]
    if parent in ("", root):
        return module
    spec = importlib.util.find_spec(module)
    return module if spec is not None and spec.submodule_search_locations is not None else parent


def package_cycles(graph: grimp.ImportGraph, root: str) -> list[list[str]]:
    """Every cycle between packages: modules are folded into their package, and a package importing a package
    that imports it back, directly or through others, is a cycle (a package's own modules may import each
    other, and a package its subpackages)."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        source = _unit(module, root)
        for imported in graph.find_modules_directly_imported_by(module):
            target = _unit(imported, root)
            if target != source and not target.startswith(source + ".") and not source.startswith(target + "."):
                edges.setdefault(source, set()).add(target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return cycles


def test_no_two_packages_import_each_other() -> None:
    graph = grimp.build_graph("consortium", include_external_packages=False)
    assert package_cycles(graph, "consortium") == []


def test_a_package_cycle_is_found(tmp_path: Path) -> None:
    """The check itself: three packages whose modules import each other in a ring are reported, however deep
    the modules sit; modules of one package importing each other are not."""
    modules = {
        "a/one.py": "from loopy.b.two import x\nfrom loopy.a.three import w\nz = 3\n",
        "a/three.py": "w = 0\n",
        "b/two.py": "from loopy.c import y\nx = 1\n",
        "c/__init__.py": "from loopy.a.one import z\ny = 2\n",
    }
    for name, text in modules.items():
        path = tmp_path / "loopy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in ("", "a", "b"):
        (tmp_path / "loopy" / package / "__init__.py").touch()
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("loopy", include_external_packages=False, cache_dir=None)
        assert package_cycles(graph, "loopy") == [["loopy.a", "loopy.b", "loopy.c", "loopy.a"]]
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "loopy" or m.startswith("loopy.")]:
            del sys.modules[name]


def test_modules_stay_small() -> None:
    big = {}
    for folder in ("consortium", "functions", "bench", "infra", "samples"):
        for path in (ROOT / folder).rglob("*.py"):
            if "vendor" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                big[str(path.relative_to(ROOT))] = lines
    assert big == {}
