"""The hub's AWS CDK app: ``cdk deploy --context stage=dev`` (cdk.json runs this file), or, without the CDK CLI,
``python infra/app.py -c stage=dev``, which synthesizes into ``cdk.out/`` (``make synth``).

The stage's settings are cdk.json's ``stages.<stage>`` with any ``--context key=value`` on top
(:mod:`hubstack.config`). The functions' code is the folder ``make package`` builds (``lambda_asset``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import aws_cdk as cdk

from consortium.errors import ConsortiumError
from hubstack.config import StageConfig, check_context_keys, stage_config
from hubstack.stage import build_stage


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-c", "--context", action="append", default=[], help="key=value, as the CDK CLI takes")
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.context)
    outdir = None if os.environ.get("CDK_OUTDIR") else "cdk.out"
    app = cdk.App(context=extra or None, outdir=outdir)
    if not app.node.try_get_context("stages"):  # run without the CDK CLI: cdk.json's context, as the CLI reads it
        cdk_json = json.loads((Path(__file__).resolve().parents[1] / "cdk.json").read_text("utf-8"))
        for key, value in cdk_json.get("context", {}).items():
            if app.node.try_get_context(key) is None:
                app.node.set_context(key, value)
    context = {key: app.node.try_get_context(key) for key in ("stage", "stages", *StageConfig.model_fields)}
    try:
        check_context_keys(app.node.get_all_context())
        config = stage_config(context)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    asset = config.path(config.lambda_asset)
    if not (asset / "consortium").is_dir():
        print(f"Error: {asset} is not the functions' package: run `make package` first", file=sys.stderr)
        return 1
    try:
        build_stage(app, config, str(asset))
    except ConsortiumError as exc:  # the member registry or a policy file, named with its field and line
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
