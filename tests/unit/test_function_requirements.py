"""Each Lambda's requirements pin the same runtime dependencies as the core package."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


LOCAL_ONLY = ("chalice==", "waitress==")
"""What only the local server needs: Chalice packages its own runtime with each function, and API Gateway is the
HTTP server on AWS."""


def test_function_requirements_match_the_core() -> None:
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    expected = {d for d in core["dependencies"] if not d.startswith(LOCAL_ONLY)}
    expected |= set(core["optional-dependencies"]["aws"])
    for requirements in sorted(ROOT.glob("functions/*/requirements.txt")):
        pinned = {
            line.strip() for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")
        }
        assert pinned == expected, requirements
