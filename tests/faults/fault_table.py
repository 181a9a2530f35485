"""The outcome table of the fault-injection suite: each fault test records what was kept and what was lost, and
``tests/conftest.py`` prints the rows at the end of the run (``pytest tests/faults``), ready to paste."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROWS", "Outcome", "record", "table"]


@dataclass(frozen=True)
class Outcome:
    """One injected fault and what the hub did about it."""

    fault: str
    given: int
    """Records (or sources) the input held."""
    kept: int
    """Valid records stored and searchable (or sources harvested)."""
    lost: int
    """Valid records neither stored nor quarantined, or unsearchable."""
    quarantined: int
    reported: str
    """What the run said (its state or error)."""


ROWS: list[Outcome] = []


def record(outcome: Outcome) -> Outcome:
    """Add a row to the table (a test asserts on the same outcome)."""
    ROWS.append(outcome)
    return outcome


def table() -> str:
    """The rows as a Markdown table."""
    lines = [
        "| fault | given | kept | lost | quarantined | reported |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    lines += [f"| {r.fault} | {r.given} | {r.kept} | {r.lost} | {r.quarantined} | {r.reported} |" for r in ROWS]
    return "\n".join(lines)
