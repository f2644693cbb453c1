from .api_tokens import ApiToken
from .digests import Digest, DigestItem, DigestRun, DigestSentItem, Notification
from .interests import DigestFrequency, Follow, MemberInterests, SavedSearch
from .members import Member
from .pages import HomePage
from .pii import PiiFlag
from .places import Place

__all__ = [
    "ApiToken",
    "Digest",
    "DigestFrequency",
    "DigestItem",
    "DigestRun",
    "DigestSentItem",
    "Follow",
    "HomePage",
    "Member",
    "MemberInterests",
    "Notification",
    "PiiFlag",
    "Place",
    "SavedSearch",
]
