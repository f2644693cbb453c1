"""Record, in the same transaction, that a searchable item may have changed; queue the indexer after commit.

Signals only write outbox rows (search/indexing.py `outbox_record`); the Celery task `search_outbox_drain` does the
work. A case or community carries other documents with it (a case's logs inherit its place, sector and audience; a
community's posts its audience), so those are recorded too.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from cases.models import CaseStudyPage, ProjectLogEntry, ShowcasePage
from communities.models import CommunityPage, CommunityPost
from hub.models import Member

from .indexing import outbox_record

PAGE_TYPES = {CaseStudyPage: "case", CommunityPage: "community", ShowcasePage: "showcase"}


def page_documents(page) -> list[str]:
    """The documents a page's publication state or content decides."""
    page = page.specific if type(page) not in PAGE_TYPES else page
    if isinstance(page, CaseStudyPage):
        logs = ProjectLogEntry.objects.filter(case_id=page.pk).values_list("pk", flat=True)
        showcases = ShowcasePage.objects.filter(items__case_id=page.pk).values_list("pk", flat=True)
        return [f"case:{page.pk}", *(f"log:{pk}" for pk in logs), *(f"showcase:{pk}" for pk in showcases)]
    if isinstance(page, CommunityPage):
        posts = CommunityPost.objects.filter(community_id=page.pk).values_list("pk", flat=True)
        return [f"community:{page.pk}", *(f"post:{pk}" for pk in posts)]
    if isinstance(page, ShowcasePage):
        return [f"showcase:{page.pk}"]
    return []


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
@receiver(page_slug_changed)
def _page_changed(sender, instance, **kwargs):
    outbox_record(page_documents(instance))


@receiver(post_delete, sender=CaseStudyPage)
@receiver(post_delete, sender=CommunityPage)
@receiver(post_delete, sender=ShowcasePage)
def _page_deleted(sender, instance, **kwargs):
    # Children (logs, posts) are deleted by cascade and send their own post_delete.
    outbox_record([f"{PAGE_TYPES[sender]}:{instance.pk}"])


@receiver(post_save, sender=ProjectLogEntry)
@receiver(post_delete, sender=ProjectLogEntry)
def _log_changed(sender, instance, **kwargs):
    outbox_record([f"log:{instance.pk}"])


@receiver(post_save, sender=CommunityPost)
@receiver(post_delete, sender=CommunityPost)
def _post_changed(sender, instance, **kwargs):
    # Hiding a topic hides its replies from search too.
    replies = CommunityPost.objects.filter(parent_id=instance.pk).values_list("pk", flat=True) if instance.parent_id is None else []
    outbox_record([f"post:{instance.pk}", *(f"post:{pk}" for pk in replies)])


@receiver(post_save, sender=Member)
def _member_changed(sender, instance, created, **kwargs):
    # A post's place is its author's local government.
    if not created:
        posts = CommunityPost.objects.filter(author_id=instance.user_id).values_list("pk", flat=True)
        outbox_record([f"post:{pk}" for pk in posts])
