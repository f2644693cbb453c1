from .api_tokens import ApiToken
from .interests import DigestFrequency, Follow, MemberInterests, SavedSearch
from .members import Member
from .pages import HomePage
from .pii import PiiFlag
from .places import Place

__all__ = ["ApiToken", "DigestFrequency", "Follow", "HomePage", "Member", "MemberInterests", "PiiFlag", "Place", "SavedSearch"]
