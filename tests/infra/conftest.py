"""The CDK app synthesized once per test session (:mod:`cdk_synth`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from cdk_synth import Synthesized, needs_node, synthesize

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    needs_node()
    root = tmp_path_factory.mktemp("cdk")
    yield synthesize(root / "cdk.out", root / "asset")
