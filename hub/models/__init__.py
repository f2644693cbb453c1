from .members import Member
from .pages import HomePage
from .pii import PiiFlag
from .places import Place

__all__ = ["HomePage", "Member", "PiiFlag", "Place"]
