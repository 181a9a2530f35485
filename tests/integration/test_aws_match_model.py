"""On AWS the consortium's fitted match model lives in the raw archive's S3 bucket: the rebuild task fits and
keeps it there, and a harvest Lambda's container clusters with it (DynamoDB and S3 on moto's server)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from factories import make_record

from consortium.adapters.aws import S3MatchModelStore, create_table
from consortium.adapters.aws.s3_model import MODEL_KEY
from consortium.bootstrap import bootstrap
from consortium.config import Settings
from consortium.dedup.model import PRIOR_MODEL
from consortium.harvest.state import Checkpoint, PageCommit, RecordChange

if TYPE_CHECKING:
    from collections.abc import Callable


def test_the_rebuild_keeps_its_fit_in_s3_and_a_harvest_container_clusters_with_it(
    moto_server: str, aws_client: Callable[[str], Any]
) -> None:
    table, clusters, bucket = (f"{what}-{uuid.uuid4().hex[:8]}" for what in ("records", "clusters", "raw"))
    create_table(aws_client("dynamodb"), table)
    create_table(aws_client("dynamodb"), clusters)
    aws_client("s3").create_bucket(Bucket=bucket)
    settings = Settings(
        backend="aws", aws_endpoint_url=moto_server, records_table=table, clusters_table=clusters, raw_bucket=bucket
    )
    task = bootstrap(settings)  # the rebuild task's process
    assert isinstance(task.match_models, S3MatchModelStore)
    assert task.dedup.model == PRIOR_MODEL and not task.dedup.kept_model.fitted
    books = [
        make_record(m, f"b{n}", f"Volume {n} of the collected letters", authors=["Woolf, Virginia"], year=1975 + n)
        for n in range(40)
        for m in ("riverside", "lakeside")
    ]
    page = [RecordChange(member=r.member, local_id=r.local_id, record=r) for r in books]
    checkpoint = Checkpoint(source_id="s", run_id="r", started_at=dt.datetime(2026, 12, 4, tzinfo=dt.UTC))
    task.record_store.commit(PageCommit(changes=page, checkpoint=checkpoint))
    task.catalogue.rebuild()
    objects = aws_client("s3").list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in objects] == [MODEL_KEY]
    fitted = task.dedup.model
    assert fitted.fitted_on["records"] == 80

    harvest = bootstrap(settings)  # a harvest Lambda's container, started after
    assert harvest.dedup.model == fitted and harvest.dedup.kept_model.fitted

    strict = replace(fitted, prior=1e-12)
    task.match_models.save(strict)  # fitted again elsewhere: a new container reads the new one
    assert bootstrap(settings).dedup.model == strict
