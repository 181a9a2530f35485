"""The CDK app synthesized once per test session (jsii starts node, and a synth takes seconds): the dev stage
with a small placeholder code asset instead of ``make package``'s folder (the templates do not depend on what
the asset holds, only on its hash)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from aws_cdk.assertions import Template

    from hubstack.stage import HubStage

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def needs_node() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the CDK's Python library runs the CDK's JavaScript with node")


@dataclass
class Synthesized:
    stage: HubStage
    templates: dict[str, Template]


def synthesize(outdir: Path, asset: Path, **context: object) -> Synthesized:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from hubstack.config import stage_config
    from hubstack.stage import build_stage

    asset.mkdir(exist_ok=True)
    (asset / "placeholder.txt").write_text("the tests' stand-in for make package's folder\n", encoding="utf-8")
    shutil.copy2(
        Path(__file__).resolve().parents[2] / "infra" / "hubstack" / "rebuild.Dockerfile", asset / "Dockerfile"
    )
    app = cdk.App(outdir=str(outdir))
    config = stage_config({"stage": "dev", **context})
    stage = build_stage(app, config, str(asset))
    templates = {stack.stack_name.rsplit("-", 1)[1].lower(): Template.from_stack(stack) for stack in stage.stacks}
    return Synthesized(stage, templates)
