from .memberships import Membership
from .pages import CommunityIndexPage, CommunityPage
from .posts import CommunityPost

__all__ = ["CommunityIndexPage", "CommunityPage", "CommunityPost", "Membership"]
