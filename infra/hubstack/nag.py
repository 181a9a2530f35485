"""cdk-nag: the AwsSolutions checks every stack passes, and the one way to suppress a finding, with its reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdk_nag import NagSuppressions

if TYPE_CHECKING:
    from constructs import IConstruct

__all__ = ["suppress"]


def suppress(construct: IConstruct, rule: str, reason: str, *, applies_to: list[str] | None = None) -> None:
    """Suppress cdk-nag's ``rule`` on ``construct`` (and its children) for ``reason``, which is required: a
    reader of the template must learn why the finding does not apply."""
    if len(reason) < 10:
        raise ValueError(f"suppressing {rule}: give a reason a reviewer can check")
    entry: dict[str, object] = {"id": rule, "reason": reason}
    if applies_to:
        entry["appliesTo"] = applies_to
    NagSuppressions.add_resource_suppressions(construct, [entry], apply_to_children=True)
