from .api_tokens import ApiToken
from .members import Member
from .pages import HomePage
from .pii import PiiFlag
from .places import Place

__all__ = ["ApiToken", "HomePage", "Member", "PiiFlag", "Place"]
