"""A strict reader of RIS, for tests: what the RIS specification allows and nothing more.

Every line is ``XY  - value`` (two capitals or a capital and a digit, two spaces, a hyphen, a space) and ends in CR
LF; a record starts with ``TY`` of a known reference type and ends with ``ER  -``; every tag is one of the
specification's. The file is UTF-8 without a byte order mark.
"""

from __future__ import annotations

import re

__all__ = ["read_ris"]

TYPES = set(
    "ABST ADVS AGGR ANCIENT ART BILL BLOG BOOK CASE CHAP CHART CLSWK COMP CONF CPAPER CTLG DATA DBASE DICT EBOOK "
    "ECHAP EDBOOK EJOUR ELEC ENCYC EQUA FIGURE GEN GOVDOC GRANT HEAR ICOMM INPR JFULL JOUR LEGAL MANSCPT MAP MGZN "
    "MPCT MULTI MUSIC NEWS PAMP PAT PCOMM RPRT SER SLIDE SOUND STAND STAT THES UNBILL UNPB VIDEO".split()
)
TAGS = set(
    "TY A1 A2 A3 A4 AB AD AN AU AV BT C1 C2 C3 C4 C5 C6 C7 C8 CA CN CP CT CY DA DB DO DP ED EP ET ID IS J1 J2 JA "
    "JF JO KW L1 L2 L3 L4 LA LB LK M1 M2 M3 N1 N2 NV OP PB PP PY RI RN RP SE SN SP ST T1 T2 T3 TA TI TT U1 U2 U3 "
    "U4 U5 UR VL VO Y1 Y2 ER".split()
)
LINE = re.compile(r"([A-Z][A-Z0-9])  - (.*)")


def read_ris(data: bytes) -> list[dict[str, list[str]]]:
    """The records of an RIS file, each as its tags' values in order; ``AssertionError`` naming the first line that
    breaks the rules."""
    assert not data.startswith(b"\xef\xbb\xbf"), "a byte order mark"
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), "lines must end in CR LF"
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for number, line in enumerate(text.split("\r\n")[:-1], start=1):
        if not line.strip() and current is None:
            continue  # blank lines between records
        match = LINE.fullmatch(line)
        assert match, f"line {number} is not 'XY  - value': {line!r}"
        tag, value = match.groups()
        assert tag in TAGS, f"line {number}: {tag} is not an RIS tag"
        if current is None:
            assert tag == "TY" and value in TYPES, f"line {number}: a record starts with TY and a type, not {line!r}"
            current = {}
        elif tag == "TY":
            raise AssertionError(f"line {number}: TY inside a record")
        if tag == "ER":
            assert value == "", f"line {number}: ER takes no value"
            records.append(current)
            current = None
            continue
        assert value == value.strip() and value, f"line {number}: an empty or padded value"
        current.setdefault(tag, []).append(value)
    assert current is None, "the last record has no ER"
    return records
