from .members import Member
from .pages import HomePage
from .places import Place

__all__ = ["HomePage", "Member", "Place"]
