"""The harvest Lambda: one page of an OAI-PMH source, or one whole file, per invocation.

It parses the event, calls the core harvest service through ``bootstrap`` and maps errors. The core package
reaches the function through ``vendor/`` at build time (see the README).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice

from consortium.errors import ConsortiumError
from consortium.http import LambdaContainer
from consortium.members import SourceProtocol

app = Chalice(app_name="consortium-harvest")
container = LambdaContainer()


@app.lambda_function(name="harvest_step")
def harvest_step(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Harvest one step of ``{"member": ID, "source": ID}``.

    Answers the run's counts so far, ``complete`` and, when the source has more pages, ``more: true`` (the
    caller, a queue or a state machine, invokes again).
    """
    member_id, source_id = event.get("member"), event.get("source")
    if not isinstance(member_id, str) or not isinstance(source_id, str):
        return {"ok": False, "error": "the event needs string fields 'member' and 'source'"}
    try:
        hub = container()
        member = hub.registry.get(member_id)
        source = member.source(source_id)
        one_page = source.protocol is SourceProtocol.OAI_PMH
        report = hub.harvester.harvest_source(member, source, max_pages=1 if one_page else None)
    except ConsortiumError as exc:
        app.log.error("harvest step failed for %s/%s: %s", member_id, source_id, type(exc).__name__)
        return {"ok": False, "error": str(exc), "retryable": exc.retryable}
    return {"ok": True, "more": not report.complete, **report.as_dict()}
