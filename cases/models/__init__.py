from .curation import Adoption, Award, CaseAward
from .logs import ProjectLogEntry
from .pages import CaseAsset, CaseIndexPage, CaseOutcomeIndicator, CaseStudyPage, CaseStudyTag
from .showcases import ShowcaseIndexPage, ShowcaseItem, ShowcasePage
from .taxonomy import Sector, Stage, Technology

__all__ = [
    "Adoption",
    "Award",
    "CaseAward",
    "CaseAsset",
    "CaseIndexPage",
    "CaseOutcomeIndicator",
    "CaseStudyPage",
    "CaseStudyTag",
    "ProjectLogEntry",
    "Sector",
    "ShowcaseIndexPage",
    "ShowcaseItem",
    "ShowcasePage",
    "Stage",
    "Technology",
]
