"""Readers' email addresses: one mailbox each, checked where it is given, and its ASCII form for the wire.

An address is what RFC 5322 calls an ``addr-spec`` (``local@domain``, no display name, no angle brackets, no
second address, no control character), checked by ``email-validator`` without any DNS lookup: the local part in
ASCII, the domain a real host name (an internationalized domain name is allowed, ``leser@bücherei.example``). The
domain is sent in its IDNA form (``xn--...``), so any mail server takes it without SMTPUTF8.

Error messages name the reason, never the address (it is personal data, and errors can reach logs).
"""

from __future__ import annotations

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

__all__ = ["ascii_mailbox", "mailbox"]


def _validated(address: str) -> ValidatedEmail:
    try:
        return validate_email(
            address,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_display_name=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            strict=True,
        )
    except EmailNotValidError as exc:
        raise ValueError(f"not one email address: {exc}") from exc


def mailbox(address: str) -> str:
    """``address`` checked to be one mailbox, normalized (the domain lower-cased, in Unicode); :class:`ValueError`
    with the reason if it is not.

    Example
    -------
    >>> mailbox("Leser@Bücherei.Example")
    'Leser@bücherei.example'
    >>> mailbox("a@example.org, b@example.net")
    Traceback (most recent call last):
    ValueError: not one email address: The part after the @-sign contains invalid characters: ',', '@', SPACE.
    """
    return _validated(address).normalized


def ascii_mailbox(address: str) -> str:
    """``address`` as it goes on the wire (the SMTP envelope, the ``To`` header): its domain in IDNA ASCII;
    :class:`ValueError` when it is not one mailbox.

    Example
    -------
    >>> ascii_mailbox("Leser@bücherei.example")
    'Leser@xn--bcherei-n2a.example'
    """
    ascii_email = _validated(address).ascii_email
    if ascii_email is None:  # only for a non-ASCII local part, which _validated refuses
        raise ValueError("not one email address: its local part is not ASCII")
    return ascii_email
