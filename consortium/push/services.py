"""The catalogue of push services a reader can subscribe to, described in English and Chinese."""

from __future__ import annotations

from dataclasses import dataclass

from consortium.push.models import Frequency, ServiceId

__all__ = ["CATALOGUE", "PushServiceInfo"]


@dataclass(frozen=True)
class PushServiceInfo:
    """One service of the catalogue."""

    service: ServiceId
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    default_frequency: Frequency
    available: bool = True
    """False for a service whose content comes with a later release (subscribing to it is refused)."""
    notice: bool = False
    """True for notices the hub sends a reader of their own requests, without a subscription (subscribing to it
    is refused)."""


CATALOGUE: dict[ServiceId, PushServiceInfo] = {
    info.service: info
    for info in (
        PushServiceInfo(
            ServiceId.NEW_IN_CLASS,
            "New books in my classes",
            "我的分类新书",
            "Every new work in the fine-grained classes you follow (your declared classes and the ones you read "
            "most in), newest first.",
            "您关注的细分类目（您声明的和最常阅读的分类）中新到的每一种文献，按到馆先后排列。",
            Frequency.WEEKLY,
        ),
        PushServiceInfo(
            ServiceId.INTERESTED_NEW,
            "New books you may like",
            "您可能感兴趣的新书",
            "New works ranked by your whole profile (classes, subjects, authors, what you borrowed), each with "
            "the reason it was chosen, at most as many as you ask for.",
            "根据您的完整兴趣档案（分类、主题、作者和借阅）排序的新书，每条附推荐理由，数量不超过您设定的上限。",
            Frequency.WEEKLY,
        ),
        PushServiceInfo(
            ServiceId.LIBRARIAN_LISTS,
            "Subject librarians' lists",
            "学科馆员推荐书单",
            "The works of the lists the consortium's subject librarians publish, each with the librarian's note, "
            "from every member library.",
            "联盟各成员馆学科馆员发布的推荐书单中的图书，每种附馆员推荐语。",
            Frequency.MONTHLY,
        ),
        PushServiceInfo(
            ServiceId.SAVED_SEARCH,
            "Saved search alerts",
            "保存检索提醒",
            "A search you saved, run again over the new works.",
            "对新到文献重新执行您保存的检索式。",
            Frequency.WEEKLY,
        ),
        PushServiceInfo(
            ServiceId.INTERLIBRARY_LOAN,
            "Inter-library loan notices",
            "馆际互借通知",
            "Where your inter-library loan requests are, at every step, in your inbox (and by email when you have "
            "an email subscription); you need not subscribe.",
            "您的馆际互借申请每一步的进展，发送到您的收件箱（如您订阅了邮件推送，也会发送邮件）；无需订阅。",
            Frequency.DAILY,
            notice=True,
        ),
    )
}
