"""Demo content for `make run`: cases through the same import users use, then accounts, logs, communities and showcases.

Idempotent: running it again changes nothing that is already there.
"""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.importing import cases_import, read_records
from cases.models import Adoption, CaseStudyPage, ProjectLogEntry, Sector, ShowcaseIndexPage, ShowcaseItem, ShowcasePage, Stage, Technology
from cases.services import AdoptionRefused, adoption_record, case_stage_set, log_entry_create
from communities import services as community_services
from communities.models import CommunityIndexPage, CommunityPage, CommunityPost, Membership
from hub.models import Member
from hub.models.members import CURATOR_GROUP, OFFICIAL_GROUP
from hub.selectors import place_by_label
from hub.services import site_structure_ensure

DEMO_DIR = Path(settings.BASE_DIR) / "cases" / "demo"
HOME_INTRO = "전국 17개 시도와 226개 시군구가 스마트도시·디지털혁신 사례를 나누고, 서로의 경험에서 배우는 곳입니다."


class Command(BaseCommand):
    help = "Load the demo content (cases, accounts, logs, communities, posts, showcases). Safe to run again."

    def handle(self, *args, **options):
        home = site_structure_ensure()
        if not home.intro:
            home.intro = HOME_INTRO
            home.save_revision().publish()
        result = cases_import(records=read_records(DEMO_DIR / "cases.json"))
        if not result.ok:
            raise CommandError("demo cases are invalid:\n" + "\n".join(map(str, result.errors)))
        activity = json.loads((DEMO_DIR / "activity.json").read_text(encoding="utf-8"))
        with transaction.atomic():
            users = {account["email"]: self._account(account) for account in activity["accounts"]}
            curator = next(users[a["email"]] for a in activity["accounts"] if a["role"] == "curator")
            logs = sum(self._log(entry, users) for entry in activity["logs"])
            communities = {c["slug"]: self._community(c, users, curator) for c in activity["communities"]}
            posts = sum(self._post(post, users, communities) for post in activity["posts"])
            for showcase in activity["showcases"]:
                self._showcase(showcase, curator)
            adoptions = sum(self._adoption(adoption, users) for adoption in activity.get("adoptions", []))
            self._curation(activity, curator)
        self.stdout.write(
            self.style.SUCCESS(
                f"demo: {len(result.created)} cases created, {len(result.updated)} updated; "
                f"{logs} log entries, {posts} posts and {adoptions} adoptions added"
            )
        )
        self._print_accounts(activity["accounts"])

    # Accounts -----------------------------------------------------------

    def _account(self, account: dict):
        place = place_by_label(account["place"])
        if place is None:
            raise CommandError(f"demo account {account['email']}: unknown place {account['place']!r}")
        user, created = get_user_model().objects.get_or_create(
            username=account["email"], defaults={"email": account["email"], "first_name": account["name"]}
        )
        if created:
            user.set_password(account["password"])
            user.save()
        Member.objects.update_or_create(
            user=user,
            defaults={
                "place": place,
                "organisation": account["organisation"],
                "job_title": account.get("job_title", ""),
                "is_approved": account.get("approved", True),
            },
        )
        if account["role"] in (OFFICIAL_GROUP, CURATOR_GROUP):
            user.groups.add(Group.objects.get(name=account["role"]))
        return user

    def _print_accounts(self, accounts: list[dict]) -> None:
        self.stdout.write("\nDemo accounts (e-mail / password / role):")
        for account in accounts:
            state = "" if account.get("approved", True) else "  (not yet approved)"
            self.stdout.write(f"  {account['email']:<32} {account['password']:<20} {account['role']}{state}")

    # Logs ---------------------------------------------------------------

    def _log(self, entry: dict, users: dict) -> int:
        case = CaseStudyPage.objects.get(key=entry["case"])
        date = datetime.date.fromisoformat(entry["date"])
        if ProjectLogEntry.objects.filter(case=case, date=date, title=entry["title"]).exists():
            return 0
        new_stage = Stage.objects.get(name=entry["new_stage"]) if entry.get("new_stage") else None
        if new_stage and entry.get("previous_stage"):  # the import set the final stage; replay from the one before
            case_stage_set(case=case, stage=Stage.objects.get(name=entry["previous_stage"]))
        log_entry_create(
            case=case,
            author=users[entry["author"]],
            date=date,
            kind=entry["kind"],
            title=entry["title"],
            body=entry.get("body", ""),
            new_stage=new_stage,
        )
        return 1

    # Communities --------------------------------------------------------

    def _community(self, data: dict, users: dict, curator) -> CommunityPage:
        community = CommunityPage.objects.filter(slug=data["slug"]).first()
        if community is None:
            community = CommunityPage(
                slug=data["slug"], title=data["title"], description=data["description"], join_policy=data["join_policy"]
            )
            CommunityIndexPage.objects.get().add_child(instance=community)
            community.related_cases.set(CaseStudyPage.objects.filter(key__in=data.get("related_cases", [])))
            community.technologies.set(Technology.objects.filter(name__in=data.get("technologies", [])))
            community.sectors.set(Sector.objects.filter(name__in=data.get("sectors", [])))
            community.save_revision(user=curator).publish(user=curator)
            community = CommunityPage.objects.get(pk=community.pk)
        for email in [*data.get("moderators", []), *data.get("members", [])]:
            membership = Membership.objects.filter(community=community, user=users[email]).first()
            if membership is None:
                membership = community_services.membership_join(community=community, user=users[email])
            if membership.status == Membership.Status.PENDING:
                membership = community_services.membership_approve(membership=membership, by=curator)
            if email in data.get("moderators", []) and membership.role != Membership.Role.MODERATOR:
                community_services.membership_set_role(membership=membership, role=Membership.Role.MODERATOR)
        return community

    def _post(self, data: dict, users: dict, communities: dict) -> int:
        community = communities[data["community"]]
        author = users[data["author"]]
        created = datetime.datetime.fromisoformat(data["created"])
        topic = CommunityPost.objects.filter(community=community, author=author, created_at=created, parent=None).first()
        added = 0
        if topic is None:
            topic = community_services.post_create(
                community=community, author=author, title=data.get("title", ""), body=data["body"], created_at=created
            )
            added += 1
        for reply in data.get("replies", []):
            reply_author, reply_created = users[reply["author"]], datetime.datetime.fromisoformat(reply["created"])
            if not CommunityPost.objects.filter(parent=topic, author=reply_author, created_at=reply_created).exists():
                community_services.post_create(
                    community=community, author=reply_author, body=reply["body"], parent=topic, created_at=reply_created
                )
                added += 1
        return added

    # Adoptions ----------------------------------------------------------

    def _adoption(self, data: dict, users: dict) -> int:
        """Through the same rule members follow (their own place adopts); an existing adoption is left as it is."""
        source = CaseStudyPage.objects.get(key=data["case"])
        user = users[data["by"]]
        if Adoption.objects.filter(source_case=source, adopter_place=user.member.place).exists():
            return 0
        adopter_case = CaseStudyPage.objects.get(key=data["adopter_case"]) if data.get("adopter_case") else None
        try:
            adoption_record(source_case=source, user=user, adopter_case=adopter_case, note=data.get("note", ""))
        except AdoptionRefused as refused:
            raise CommandError(f"demo adoption of {data['case']} by {data['by']}: {refused}")
        return 1

    # Curation -----------------------------------------------------------

    def _curation(self, activity: dict, curator) -> None:
        """Featured cases and awards, through the curators' own services (both keep what is already there)."""
        from cases.models import Award
        from cases.services import case_award_give, case_feature_set

        for key in activity.get("featured", []):
            case_feature_set(case=CaseStudyPage.objects.get(key=key), featured=True, by=curator)
        for data in activity.get("awards", []):
            award = Award.objects.filter(slug=data["award"]).first()
            if award is None:
                raise CommandError(f"demo award for {data['case']}: unknown award {data['award']!r}")
            case = CaseStudyPage.objects.get(key=data["case"])
            case_award_give(case=case, award=award, year=data["year"], note=data.get("note", ""), by=curator)

    # Showcases ----------------------------------------------------------

    def _showcase(self, data: dict, curator) -> None:
        if ShowcasePage.objects.filter(slug=data["slug"]).exists():
            return
        showcase = ShowcasePage(slug=data["slug"], title=data["title"], intro=data["intro"])
        notes = data.get("notes", {})
        cases = {case.key: case for case in CaseStudyPage.objects.filter(key__in=data["cases"])}
        showcase.items = [ShowcaseItem(case=cases[key], note=notes.get(key, ""), sort_order=i) for i, key in enumerate(data["cases"])]
        ShowcaseIndexPage.objects.get().add_child(instance=showcase)
        showcase.save_revision(user=curator).publish(user=curator)
