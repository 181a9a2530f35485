"""Telling a reader where their inter-library loan request is: an item in their portal inbox at every step, and
an email to the address of their email subscription when they have one.

The inbox item is a one-item digest of the ``interlibrary_loan`` notice service (no subscription: the reader
asked for the loan), kept in the reader's encrypted vault like every inbox digest, written under the purpose
``reader_request`` and audited there with the staff account (or the reader) that took the step. Email goes
through the hub's :class:`~consortium.push.ports.Mailer`; a failed send is logged (without the address) and the
inbox item stays: the step is never undone because a mail server is down.
"""

from __future__ import annotations

import hashlib
import logging
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from consortium.cooperation.models import LoanRequest, LoanState
from consortium.errors import NotFoundError
from consortium.models import Availability
from consortium.profiles.models import Processing
from consortium.push.addresses import ascii_mailbox
from consortium.push.ledgers import InboxEntry, PushLedgers
from consortium.push.models import Channel, Digest, DigestItem, ServiceId
from consortium.push.ports import DeliveryError

if TYPE_CHECKING:
    from collections.abc import Callable

    from consortium.profiles.models import Actor
    from consortium.profiles.vault import Vault
    from consortium.push.ports import Mailer

__all__ = ["ReaderNotices", "notice_text"]

log = logging.getLogger(__name__)

_EN = {
    LoanState.REQUESTED: "Your inter-library loan request went to {lender}.",
    LoanState.ACCEPTED: "{lender} accepted your inter-library loan request and will send a copy.",
    LoanState.REFUSED: "{lender} cannot lend it. You may ask again: the request goes to another library that holds "
    "it, if there is one.",
    LoanState.SHIPPED: "{lender} sent the copy to {borrower}.",
    LoanState.RECEIVED: "The copy is at {borrower}: you may collect it.",
    LoanState.RETURNED: "The copy is back at {lender}: the loan is closed.",
    LoanState.CANCELLED: "Your inter-library loan request was cancelled.",
}
_ZH = {
    LoanState.REQUESTED: "您的馆际互借申请已发送至{lender}。",
    LoanState.ACCEPTED: "{lender}已同意您的馆际互借申请，将寄出一册。",
    LoanState.REFUSED: "{lender}无法出借此书。您可以再次申请，申请将发往其他藏有此书的图书馆（如有）。",
    LoanState.SHIPPED: "{lender}已将图书寄往{borrower}。",
    LoanState.RECEIVED: "图书已到达{borrower}，请前往领取。",
    LoanState.RETURNED: "图书已归还{lender}，本次借阅结束。",
    LoanState.CANCELLED: "您的馆际互借申请已取消。",
}

_CHECKING = {
    False: "{lender} will check whether its copy is on the shelf, then accept or refuse.",
    True: "{lender}将核查其馆藏是否在架，然后答复是否出借。",
}
"""Added to the ``requested`` notice when the lender's catalogue does not give its copy's status."""


def notice_text(request: LoanRequest, names: dict[str, str], *, chinese: bool = False) -> str:
    """The one line that tells the reader the request's state (with the last step's note, when it has one)."""
    lender = names.get(request.lender, request.lender)
    line = (_ZH if chinese else _EN)[request.state].format(
        lender=lender, borrower=names.get(request.borrower, request.borrower)
    )
    if request.state is LoanState.REQUESTED and request.availability is Availability.UNKNOWN:
        line += ("" if chinese else " ") + _CHECKING[chinese].format(lender=lender)
    note = request.history[-1].note if request.history else None
    return f"{line} {note}" if note else line


class ReaderNotices:
    """Tells readers of each step of their requests (see the module).

    Example
    -------
    >>> notices = ReaderNotices(profiles.vault, mailer, "ill@consortium.example", lambda: {"lakeside": "Lakeside"})
    >>> notices.tell(request, actor)
    True
    """

    def __init__(
        self, vault: Vault, mailer: Mailer | None, sender: str, member_names: Callable[[], dict[str, str]]
    ) -> None:
        self._ledgers = PushLedgers(vault)
        self._mailer = mailer
        self._sender = sender
        self._names = member_names

    def tell(self, request: LoanRequest, actor: Actor) -> bool:
        """Put the notice in the reader's inbox and email it when they have an email subscription; whether an
        email was handed over. A reader erased meanwhile is told nothing."""
        names = self._names()
        step = request.history[-1]
        digest_id = "ill-" + hashlib.sha256(f"{request.request_id}\x00{request.version}".encode()).hexdigest()[:20]
        item = DigestItem(
            cluster_id=request.cluster_id,
            title=request.title,
            members=[request.lender],
            score=1.0,
            reason=notice_text(request, names),
            reason_zh=notice_text(request, names, chinese=True),
        )
        digest = Digest(
            digest_id=digest_id,
            reader_id=request.reader_id,
            member=request.borrower,
            service=ServiceId.INTERLIBRARY_LOAN,
            channel=Channel.INBOX,
            window_start=step.at,
            window_end=step.at,
            items=[item],
        )
        entry = InboxEntry(at=step.at, digest=digest)
        try:
            self._ledgers.save_inbox_entry(request.reader_id, digest_id, entry, actor, Processing.READER_REQUEST)
            subscriptions = self._ledgers.subscriptions(request.reader_id, actor, Processing.READER_REQUEST)
        except NotFoundError:
            return False
        address = next((s.email for s in subscriptions if s.channel is Channel.EMAIL and s.email), None)
        if address is None or self._mailer is None:
            return False
        try:
            self._mailer.send(self._message(request, item, names), ascii_mailbox(address))
        except (DeliveryError, ValueError) as exc:
            log.warning("the notice of ILL request %s (%s) was not emailed: %s", request.request_id, request.state, exc)
            return False
        return True

    def _message(self, request: LoanRequest, item: DigestItem, names: dict[str, str]) -> EmailMessage:
        library = names.get(request.borrower, request.borrower)
        message = EmailMessage()
        user, _, domain = self._sender.rpartition("<")[2].rstrip(">").partition("@")
        message["From"] = Address(display_name=library, username=user, domain=domain)
        message["Subject"] = f"Inter-library loan / 馆际互借: {request.title}"[:200]
        message["Date"] = format_datetime(request.history[-1].at)
        message.set_content(
            f"{request.title}\n\n{item.reason}\n{item.reason_zh}\n\n"
            f"Request {request.request_id}: {request.state.value}\n"
        )
        return message
