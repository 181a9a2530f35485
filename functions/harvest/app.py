"""The harvest Lambdas: one page of an OAI-PMH source, or one whole file, per invocation (``harvest_step``, which
the scheduled harvest's state machine calls until the source ends), and the worker of the runs members ask for
(``harvest_run``, the harvest queue's consumer).

It parses the event, calls the core harvest service through ``bootstrap`` and maps errors. The core package
reaches the function through ``vendor/`` at build time (see the README).
"""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Chalice

from consortium.errors import ConsortiumError, ValidationError
from consortium.harvest.service import paused_report
from consortium.http import LambdaContainer
from consortium.members import SourceProtocol

app = Chalice(app_name="consortium-harvest")
container = LambdaContainer()


@app.lambda_function(name="harvest_step")
def harvest_step(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Harvest one step of ``{"member": ID, "source": ID}``.

    Answers the run's counts so far, ``complete`` and, when the source has more pages, ``more: true`` (the
    caller, a queue or a state machine, invokes again). A paused source is not harvested: the answer says
    ``paused`` (with its reason) and ``more: false``, so the scheduled run ends at once, as the local scheduler's.
    """
    member_id, source_id = event.get("member"), event.get("source")
    if not isinstance(member_id, str) or not isinstance(source_id, str):
        return {"ok": False, "error": "the event needs string fields 'member' and 'source'"}
    try:
        hub = container()
        member = hub.registry.get(member_id)
        source = member.source(source_id)
        if source.paused:
            app.log.info("harvest step skipped for %s/%s: the source is paused", member_id, source_id)
            return {"ok": True, "more": False, **paused_report(member, source).as_dict()}
        one_page = source.protocol is SourceProtocol.OAI_PMH
        report = hub.harvester.harvest_source(member, source, max_pages=1 if one_page else None)
    except ConsortiumError as exc:
        app.log.error("harvest step failed for %s/%s: %s", member_id, source_id, type(exc).__name__)
        return {"ok": False, "error": str(exc), "retryable": exc.retryable}
    return {"ok": True, "more": not report.complete, **report.as_dict()}


@app.lambda_function(name="search_reindex")
def search_reindex(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Rebuild the search index from the stored works when it is in an older release's layout (a deployment
    with a new index template invokes it), or always with ``{"force": true}``; what the harvest functions change
    meanwhile is indexed again afterwards (:meth:`~consortium.catalogue.Catalogue.reindex_if_needed`)."""
    force = isinstance(event, dict) and event.get("force") is True
    try:
        indexed = container().catalogue.reindex_if_needed(force=force)
    except ConsortiumError as exc:
        app.log.error("search reindex failed: %s", type(exc).__name__)
        return {"ok": False, "error": str(exc), "retryable": exc.retryable}
    app.log.info("search reindex: %d works indexed", indexed)
    return {"ok": True, "indexed": indexed}


@app.lambda_function(name="harvest_prune")
def harvest_prune(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The daily retention of harvest runs: each member's runs older than
    :data:`~consortium.harvest.runner.RUN_RETENTION` forgotten, but its newest and any not over yet."""
    try:
        hub = container()
        forgotten = hub.harvest_runs.prune([member.id for member in hub.registry.members])
    except ConsortiumError as exc:
        app.log.error("harvest run retention failed: %s", type(exc).__name__)
        return {"ok": False, "error": str(exc), "retryable": exc.retryable}
    return {"ok": True, "forgotten": forgotten}


@app.lambda_function(name="harvest_run")
def harvest_run(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Run the harvest runs members asked for: the harvest queue's worker (``CONSORTIUM_HARVEST_QUEUE_URL``), one
    SQS message ``{"harvest_run": ID, "member": ID}`` each (:meth:`~consortium.harvest.runner.HarvestRuns.handle`).

    Answers the SQS partial batch response: a message whose run raised is listed in ``batchItemFailures`` and
    delivered again (its run resumes from the source's checkpoint; after the queue's ``maxReceiveCount``, the
    dead-letter queue). A message that names no run is dropped, logged by its id only: retrying it cannot help.
    """
    failed: list[dict[str, str]] = []
    for record in event.get("Records") or []:
        message_id = str(record.get("messageId") or "")
        try:
            message = json.loads(record.get("body") or "")
        except ValueError:
            app.log.error("harvest run message %s is not JSON: dropped", message_id)
            continue
        if not isinstance(message, dict):
            app.log.error("harvest run message %s is not an object: dropped", message_id)
            continue
        try:
            run = container().harvest_runs.handle(message)
        except ValidationError:
            app.log.error("harvest run message %s names no run: dropped", message_id)
        except Exception as exc:
            app.log.error("harvest run message %s failed: %s", message_id, type(exc).__name__)
            failed.append({"itemIdentifier": message_id})
        else:
            app.log.info("harvest run %s of %s: %s", run.run_id, run.member, run.state)
    return {"batchItemFailures": failed}
