"""Per-unit figures of the hub on AWS's APIs (moto's server and osmem-server on 127.0.0.1, each in a process of
its own), measured through the real Lambda entry points: what one invocation of each does in a second.

Figures
    - harvest: ``functions/harvest/app.py``'s ``harvest_step`` called until the source ends, each call one OAI-PMH
      page of 200 records of hub A (``bench/oai_hub_a.py``, ``consortium run`` in its own process): fetch,
      archive to S3, normalize, store in DynamoDB, cluster into DynamoDB and index into OpenSearch, as one Lambda
      invocation does. Records/s of one invocation = records of the page / seconds of the call.
    - push: ``functions/push/app.py``'s ``push_shard`` on one SQS message of shard 0 of 1, for ``--readers``
      readers (KMS-wrapped keys, encrypted profiles and subscriptions in DynamoDB), each with a due daily email
      subscription to ``new_in_class``, and ``--works`` new works: plan, render and send every digest by SES, and
      write the ledgers. Digests/s of one shard = digests sent / seconds of the call.

moto answers every call in Python, one at a time per connection, much slower than DynamoDB, S3, KMS and SES do
(single-digit milliseconds): the figures are what the hub's code achieves over moto, a floor for one invocation on
AWS, not a forecast. The CPU seconds of the bench's process (the handler's own code; moto and osmem run in theirs)
are printed beside the wall time for that reason.

Run from the repository root::

    .venv/bin/python bench/aws_units.py [--records 2000] [--readers 200] [--works 400]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from oai_hub_a import HubA, make_works

REPO = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
SENDER = "Consortium hub <news@bench.example.edu>"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[str, subprocess.Popen[bytes]]:
    """moto's server in a process of its own; its URL once it answers."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2).read()
            return url, process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("moto's server did not start")


def load_handler(app: str, name: str) -> Any:
    """A fresh import of ``functions/<app>/app.py`` (a new Lambda environment) and its handler ``name``."""
    spec = importlib.util.spec_from_file_location(f"bench_{app}_{name}", REPO / "functions" / app / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return getattr(module, name), module


def aws_environment(moto: str, search: str, folder: Path) -> dict[str, str]:
    """Tables, bucket, readers' key and mail identity on moto; the functions' ``CONSORTIUM_*`` settings."""
    import boto3

    from consortium.adapters.aws import create_secrets_table, create_table

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto, region_name=REGION)

    names = {name: f"bench-{name}" for name in ("records", "clusters", "profiles", "secrets")}
    for name in ("records", "clusters", "profiles"):
        create_table(client("dynamodb"), names[name])
    create_secrets_table(client("dynamodb"), names["secrets"])
    client("s3").create_bucket(Bucket="bench-raw")
    client("sesv2").create_email_identity(EmailIdentity="bench.example.edu")
    return {
        "CONSORTIUM_BACKEND": "aws",
        "CONSORTIUM_AWS_REGION": REGION,
        "CONSORTIUM_AWS_ENDPOINT_URL": moto,
        "CONSORTIUM_RECORDS_TABLE": names["records"],
        "CONSORTIUM_CLUSTERS_TABLE": names["clusters"],
        "CONSORTIUM_PROFILES_TABLE": names["profiles"],
        "CONSORTIUM_READER_SECRETS_TABLE": names["secrets"],
        "CONSORTIUM_RAW_BUCKET": "bench-raw",
        "CONSORTIUM_KMS_KEY_ID": client("kms").create_key()["KeyMetadata"]["KeyId"],
        "CONSORTIUM_OPENSEARCH_ENDPOINT": search,
        "CONSORTIUM_OPENSEARCH_CHINESE_ANALYZER": "false",
        "CONSORTIUM_MAIL_SENDER": SENDER,
        "CONSORTIUM_PUBLIC_URL": "https://hub.bench.example.edu/api",
        "CONSORTIUM_MEMBERS_FILE": str(folder / "members.toml"),
    }


def harvest(hub_a: HubA, url: str, folder: Path) -> dict[str, Any]:
    """``harvest_step`` over hub A's pages (see the module notes)."""
    try:
        (folder / "members.toml").write_text(
            f'[[members]]\nid = "eastlake"\nname = "Eastlake"\n[[members.sources]]\nid = "hub-a"\n'
            f'protocol = "oai-pmh"\nurl = "{url}"\nformat = "marcxml"\n',
            encoding="utf-8",
        )
        step, _ = load_handler("harvest", "harvest_step")
        rates, total, cpu, wall = [], 0, 0.0, 0.0
        while True:
            before, cpu_before = time.perf_counter(), time.process_time()
            answer = step({"member": "eastlake", "source": "hub-a"}, None)
            spent, cpu_spent = time.perf_counter() - before, time.process_time() - cpu_before
            assert answer["ok"], answer
            page = answer["added"] - total
            total = answer["added"]
            if page:
                rates.append(page / spent)
                wall += spent
                cpu += cpu_spent
            if not answer["more"]:
                break
    finally:
        hub_a.stop()
    rates.sort()
    return {
        "harvest_records": total,
        "harvest_invocations": len(rates),
        "harvest_records_per_s_median": round(rates[len(rates) // 2]),
        "harvest_records_per_s_worst": round(rates[0]),
        "harvest_cpu_ms_per_record": round(1000 * cpu / max(total, 1), 2),
        "harvest_wall_ms_per_record": round(1000 * wall / max(total, 1), 2),
    }


def push(readers: int, works: int) -> dict[str, Any]:
    """``push_shard`` on one shard of every reader (see the module notes)."""
    from consortium.dedup.state import ClusterChange
    from consortium.profiles.consent import Purpose
    from consortium.profiles.models import Actor, ActorRole
    from consortium.push.models import Channel, Frequency, ServiceId

    shard, module = load_handler("push", "push_shard")
    hub = module.container()
    started = time.perf_counter()
    for n in range(readers):
        reader = f"reader-{n:06d}"
        me = Actor(actor_id=reader, role=ActorRole.READER)
        hub.profiles.create_reader(reader, "eastlake", [Purpose.PUSH])
        hub.profiles.declare_interest(reader, f"class:clc:TP{1 + n % 9}", me)
        hub.push.subscribe(reader, ServiceId.NEW_IN_CLASS, Channel.EMAIL, actor=me, email=f"{reader}@bench.example",
                           frequency=Frequency.DAILY, since=timedelta(days=1))  # fmt: skip
    setup = time.perf_counter() - started
    fresh = datetime.now(UTC) - timedelta(hours=1)
    new = [work.model_copy(update={"first_seen": fresh}) for work in make_works(works)]
    for start in range(0, len(new), 500):
        hub.cluster_store.apply(ClusterChange(saved=new[start : start + 500], at=fresh))
    message = {"shard": 0, "shards": 1, "now": datetime.now(UTC).isoformat()}
    before, cpu_before = time.perf_counter(), time.process_time()
    answer = shard({"Records": [{"messageId": "bench", "body": json.dumps(message)}]}, None)
    spent, cpu_spent = time.perf_counter() - before, time.process_time() - cpu_before
    assert answer == {"batchItemFailures": []}, answer
    sent = sum(1 for n in range(readers) if hub.push.history(f"reader-{n:06d}", Actor(
        actor_id=f"reader-{n:06d}", role=ActorRole.READER)))  # fmt: skip
    return {
        "push_readers": readers,
        "push_works": works,
        "push_digests": sent,
        "push_shard_seconds": round(spent, 2),
        "push_digests_per_s": round(sent / spent, 1),
        "push_cpu_ms_per_digest": round(1000 * cpu_spent / max(sent, 1), 1),
        "push_setup_seconds": round(setup, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="records of hub A to harvest (200 a page)")
    parser.add_argument("--readers", type=int, default=200, help="readers of the push shard")
    parser.add_argument("--works", type=int, default=400, help="new works the push shard plans from")
    args = parser.parse_args()
    from osmem_server import OsmemServer  # type: ignore[import-untyped]

    moto, moto_process = start_moto()
    search = OsmemServer.start(addr="127.0.0.1:0", japanese=False, startup_timeout=60)
    figures: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            hub_a = HubA(folder / "hub-a", args.records)
            url = hub_a.start()  # before the aws settings: hub A is a local hub
            os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
            for key, value in aws_environment(moto, search.url, folder).items():
                os.environ[key] = value
            figures.update(harvest(hub_a, url, folder))
            print(f"harvest_step: {figures['harvest_records']:,} records in {figures['harvest_invocations']} "
                  f"invocations, {figures['harvest_records_per_s_median']:,} records/s an invocation (median; worst "
                  f"{figures['harvest_records_per_s_worst']:,}), {figures['harvest_cpu_ms_per_record']} ms of the "
                  f"handler's CPU a record")  # fmt: skip
            figures.update(push(args.readers, args.works))
            print(f"push_shard: {figures['push_digests']:,} digests for {args.readers:,} readers in "
                  f"{figures['push_shard_seconds']} s, {figures['push_digests_per_s']} digests/s a shard, "
                  f"{figures['push_cpu_ms_per_digest']} ms of the handler's CPU a digest")  # fmt: skip
    finally:
        search.close()
        moto_process.terminate()
        moto_process.wait(timeout=30)
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
