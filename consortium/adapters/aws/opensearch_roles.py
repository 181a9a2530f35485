"""Fine-grained access control of the search domain: the two OpenSearch roles the hub's code acts in, mapped to the
IAM roles of the functions and tasks that reach the index, applied by a CloudFormation custom resource (the
functions stack) whose function runs as the domain's master user.

Roles
    ``consortium_search``: search the index (its alias and versioned indexes), nothing else.
    ``consortium_index``: write it, make the next index from the template, move the alias, delete the old index.

Which IAM role gets which is decided by the stack from ``policies/permissions.toml``: a permission set whose
OpenSearch methods include ``PUT`` or ``DELETE`` writes, any other that names the index reads.

:func:`handler` is the custom resource's Lambda handler: on ``Create`` and ``Update`` it puts both roles and both
mappings (``_plugins/_security/api``), replacing what was there, so a redeployment that adds a function maps it;
on ``Delete`` it leaves them (the domain may be kept, and without mappings the functions could no longer search).
It then answers CloudFormation at the event's ``ResponseURL``, ``FAILED`` with the reason when a call failed, so
the stack's deployment stops rather than leaving functions that the domain refuses.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any, Final

from consortium.adapters.aws.opensearch_index import OpenSearchIndex

__all__ = ["INDEX_PATTERNS", "ROLES", "apply_roles", "handler"]

log = logging.getLogger(__name__)

INDEX_PATTERNS: Final = ["consortium-bib", "consortium-bib-v*"]
"""The index's alias and its versioned indexes (``consortium.adapters.aws.opensearch_index``)."""

ROLES: Final[dict[str, dict[str, Any]]] = {
    "consortium_search": {
        "description": "the consortium hub's functions that search the catalogue",
        "cluster_permissions": ["cluster_composite_ops_ro"],
        "index_permissions": [{"index_patterns": INDEX_PATTERNS, "allowed_actions": ["read"]}],
    },
    "consortium_index": {
        "description": "the consortium hub's functions and tasks that write the catalogue's index",
        "cluster_permissions": ["cluster_composite_ops", "indices:admin/aliases", "indices:admin/aliases/get"],
        "index_permissions": [
            {
                "index_patterns": INDEX_PATTERNS,
                "allowed_actions": ["crud", "create_index", "manage", "indices:admin/aliases", "indices:admin/delete"],
            }
        ],
    },
}
"""The roles, as the security plugin's REST API takes them."""


def apply_roles(client: Any, backend_roles: dict[str, list[str]]) -> None:
    """Put :data:`ROLES` and map each to its IAM role ARNs (``backend_roles[name]``), replacing earlier ones.

    Raises
    ------
    opensearchpy.exceptions.TransportError
        When the domain refuses a call (the caller is not its master user, or the plugin is off).
    """
    for name, body in ROLES.items():
        client.transport.perform_request("PUT", f"/_plugins/_security/api/roles/{name}", body=body)
    for name in ROLES:
        mapping = {"backend_roles": sorted(backend_roles.get(name, [])), "description": ROLES[name]["description"]}
        client.transport.perform_request("PUT", f"/_plugins/_security/api/rolesmapping/{name}", body=mapping)


def handler(event: dict[str, Any], context: Any) -> None:
    """The custom resource (see the module notes). Properties: ``Search`` and ``Index``, lists of IAM role ARNs;
    the domain is ``CONSORTIUM_OPENSEARCH_ENDPOINT`` in ``CONSORTIUM_AWS_REGION``."""
    status, reason = "SUCCESS", "the search roles are mapped"
    try:
        if event["RequestType"] in ("Create", "Update"):
            properties = event.get("ResourceProperties") or {}
            index = OpenSearchIndex.for_aws(
                os.environ["CONSORTIUM_OPENSEARCH_ENDPOINT"], os.environ["CONSORTIUM_AWS_REGION"]
            )
            roles = {"consortium_search": properties.get("Search", []), "consortium_index": properties.get("Index", [])}
            apply_roles(index.client, roles)
            log.info("mapped %s", {name: len(arns) for name, arns in roles.items()})
        else:
            reason = "the search roles are left in place"
    except Exception as exc:
        log.exception("mapping the search roles failed")
        status, reason = "FAILED", f"mapping the search roles failed: {type(exc).__name__}: {exc}"[:1000]
    _respond(event, status, reason)


def _respond(event: dict[str, Any], status: str, reason: str) -> None:
    """Answer CloudFormation: a PUT of the result to the event's pre-signed ``ResponseURL``."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason,
            "PhysicalResourceId": event.get("PhysicalResourceId") or "consortium-search-roles",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
