from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable, Page, PageManager, PageQuerySet
from wagtail.search import index

from cases.admin_forms import CaseStudyPageForm
from hub import permissions


class Visibility(models.TextChoices):
    PUBLIC = "public", _("전체 공개")
    MEMBERS = "members", _("회원 공개")


class Language(models.TextChoices):
    KOREAN = "ko", "한국어"
    ENGLISH = "en", "English"


class ProcurementMethod(models.TextChoices):
    OPEN = "일반경쟁", _("일반경쟁")
    RESTRICTED = "제한경쟁", _("제한경쟁")
    NEGOTIATED = "협상에 의한 계약", _("협상에 의한 계약")
    PRIVATE = "수의계약", _("수의계약")
    INNOVATION = "혁신제품 구매", _("혁신제품 구매")
    OTHER = "기타", _("기타")


class CaseStudyQuerySet(PageQuerySet):
    def visible_to(self, user):
        """Published cases this user may open: members-only ones need an approved member."""
        qs = self.live()
        if not permissions.can_read_members_only(user):
            qs = qs.filter(visibility=Visibility.PUBLIC)
        return qs

    def with_facts(self):
        from .curation import CaseAward

        # Awards are shown as badges on every case card (templates/cases/includes/case_card.html).
        awards = models.Prefetch("awards", queryset=CaseAward.objects.select_related("award").order_by("-year", "award__order"))
        return self.select_related("lead_place__parent", "sector", "stage").prefetch_related("technologies", awards)


CaseStudyManager = PageManager.from_queryset(CaseStudyQuerySet)


class CaseIndexPage(Page):
    """The list of all case studies (/cases/); parent of every CaseStudyPage."""

    intro = models.TextField(_("소개"), blank=True, help_text=_("Markdown"))

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cases.CaseStudyPage"]
    parent_page_types = ["hub.HomePage"]
    max_count = 1

    class Meta:
        verbose_name = _("사례 목록")

    def get_context(self, request, *args, **kwargs):
        from cases.selectors import case_list_for_browsing

        context = super().get_context(request, *args, **kwargs)
        context.update(case_list_for_browsing(request))
        return context


class CaseStudyTag(TaggedItemBase):
    content_object = ParentalKey("cases.CaseStudyPage", on_delete=models.CASCADE, related_name="tagged_items")


class CaseStudyPage(RoutablePageMixin, Page):
    """A structured write-up of one project, with everything a peer needs to replicate it."""

    key = models.SlugField(_("사례 키"), max_length=120, unique=True, help_text=_("가져오기에 쓰는 고정 식별자"))
    language = models.CharField(_("언어"), max_length=2, choices=Language.choices, default=Language.KOREAN)
    visibility = models.CharField(_("공개 범위"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)

    summary = models.TextField(_("요약"))
    problem = models.TextField(_("문제"), blank=True, help_text=_("Markdown"))
    solution = models.TextField(_("해결 방법"), blank=True, help_text=_("Markdown"))
    outcomes = models.TextField(_("성과"), blank=True, help_text=_("Markdown"))
    lessons = models.TextField(_("교훈과 실패"), blank=True, help_text=_("Markdown. 솔직하게 공유해 주세요."))
    lessons_visibility = models.CharField(
        _("교훈과 실패 공개 범위"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
        help_text=_("사례가 전체 공개여도 이 부분은 승인된 회원에게만 보이게 할 수 있습니다."),
    )

    lead_place = models.ForeignKey("hub.Place", verbose_name=_("주관 지자체"), on_delete=models.PROTECT, related_name="led_cases")
    participating_places = ParentalManyToManyField(
        "hub.Place", verbose_name=_("참여 지자체"), blank=True, related_name="participated_cases"
    )
    sector = models.ForeignKey("cases.Sector", verbose_name=_("분야"), on_delete=models.PROTECT, related_name="cases")
    technologies = ParentalManyToManyField("cases.Technology", verbose_name=_("기술"), blank=True, related_name="cases")
    stage = models.ForeignKey("cases.Stage", verbose_name=_("단계"), on_delete=models.PROTECT, related_name="cases")
    tags = ClusterTaggableManager(through=CaseStudyTag, blank=True)

    start_year = models.PositiveSmallIntegerField(_("시작 연도"))
    end_year = models.PositiveSmallIntegerField(_("종료 연도"), null=True, blank=True)
    partners = models.TextField(_("협력 기관"), blank=True)

    budget_total = models.BigIntegerField(_("총사업비(원)"), null=True, blank=True)
    budget_national = models.BigIntegerField(_("국비(원)"), null=True, blank=True)
    budget_local = models.BigIntegerField(_("지방비(원)"), null=True, blank=True)
    running_cost_yearly = models.BigIntegerField(_("연간 운영비(원)"), null=True, blank=True)

    procurement_method = models.CharField(_("조달 방식"), max_length=20, choices=ProcurementMethod.choices, blank=True)
    vendors = models.CharField(_("수행 업체"), max_length=255, blank=True)
    contract_start = models.DateField(_("계약 시작일"), null=True, blank=True)
    contract_end = models.DateField(_("계약 종료일"), null=True, blank=True)

    contact_name = models.CharField(_("담당 부서·담당자"), max_length=120, blank=True)
    contact_email = models.EmailField(_("연락처 이메일"), blank=True)
    contact_phone = models.CharField(_("연락처 전화"), max_length=40, blank=True)

    # Curation (issue 5): featured by the national agency.
    is_featured = models.BooleanField(_("추천 사례"), default=False)
    featured_at = models.DateTimeField(_("추천 일시"), null=True, blank=True)

    # Provenance of a case harvested from a peer hub (empty for local cases); harvests never touch local cases.
    origin_hub = models.URLField(_("원본 허브"), blank=True)
    origin_url = models.URLField(_("원본 주소"), blank=True)
    origin_key = models.CharField(_("원본 사례 키"), max_length=120, blank=True)
    harvested_at = models.DateTimeField(_("수집 일시"), null=True, blank=True)

    hero_image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("대표 이미지"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CaseStudyManager()

    content_panels = [
        *Page.content_panels,
        FieldPanel("key"),
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("lead_place"),
                FieldPanel("participating_places"),
                FieldRowPanel([FieldPanel("sector"), FieldPanel("stage")]),
                FieldPanel("technologies"),
                FieldPanel("tags"),
                FieldRowPanel([FieldPanel("start_year"), FieldPanel("end_year")]),
                FieldRowPanel([FieldPanel("language"), FieldPanel("visibility")]),
            ],
            heading=_("한눈에 보는 사실"),
        ),
        FieldPanel("problem"),
        FieldPanel("solution"),
        FieldPanel("outcomes"),
        InlinePanel("indicators", heading=_("성과 지표"), label=_("지표")),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("budget_total"), FieldPanel("budget_national"), FieldPanel("budget_local")]),
                FieldPanel("running_cost_yearly"),
            ],
            heading=_("비용"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("procurement_method"),
                FieldPanel("vendors"),
                FieldRowPanel([FieldPanel("contract_start"), FieldPanel("contract_end")]),
                FieldPanel("partners"),
            ],
            heading=_("조달·협력"),
        ),
        InlinePanel("assets", heading=_("재사용 자료"), label=_("자료")),
        MultiFieldPanel([FieldPanel("lessons"), FieldPanel("lessons_visibility")], heading=_("교훈과 실패")),
        MultiFieldPanel([FieldPanel("contact_name"), FieldPanel("contact_email"), FieldPanel("contact_phone")], heading=_("연락처")),
        FieldPanel("hero_image"),
        FieldPanel("pii_override_reason"),  # declared on CaseStudyPageForm, shown to curators only
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("problem"),
        index.SearchField("solution"),
        index.SearchField("outcomes"),
        index.FilterField("visibility"),
        index.FilterField("language"),
    ]

    parent_page_types = ["cases.CaseIndexPage"]
    subpage_types = []
    base_form_class = CaseStudyPageForm

    class Meta:
        verbose_name = _("사례")
        verbose_name_plural = _("사례")
        constraints = [
            models.UniqueConstraint(fields=["origin_hub", "origin_key"], condition=~models.Q(origin_hub=""), name="unique_harvested_case")
        ]

    @property
    def is_remote(self) -> bool:
        return bool(self.origin_hub)

    def clean(self):
        super().clean()
        errors = {}
        if self.end_year and self.start_year and self.end_year < self.start_year:
            errors["end_year"] = _("종료 연도는 시작 연도보다 빠를 수 없습니다.")
        shares = (self.budget_national or 0) + (self.budget_local or 0)
        if self.budget_total is not None and shares > self.budget_total:
            errors["budget_total"] = _("국비와 지방비의 합이 총사업비보다 큽니다.")
        for field in ("budget_total", "budget_national", "budget_local", "running_cost_yearly"):
            if (getattr(self, field) or 0) < 0:
                errors[field] = _("금액은 0 이상이어야 합니다.")
        if self.contract_start and self.contract_end and self.contract_end < self.contract_start:
            errors["contract_end"] = _("계약 종료일은 시작일보다 빠를 수 없습니다.")
        if errors:
            raise ValidationError(errors)

    # Facts and rules ----------------------------------------------------

    def place_ids(self) -> set[int]:
        return {self.lead_place_id, *(p.pk for p in self.participating_places.all())}

    @property
    def province(self):
        return self.lead_place.province

    @property
    def municipality(self):
        return self.lead_place if self.lead_place.level != self.lead_place.Level.PROVINCE else None

    def is_visible_to(self, user) -> bool:
        return self.visibility == Visibility.PUBLIC or permissions.can_read_members_only(user)

    def lessons_visible_to(self, user) -> bool:
        return self.lessons_visibility == Visibility.PUBLIC or permissions.can_read_members_only(user)

    def permissions_for_user(self, user):
        from cases.permissions import CasePagePermissionTester

        return CasePagePermissionTester(user, self)

    # Serving ------------------------------------------------------------

    def serve(self, request, *args, **kwargs):
        if not self.is_visible_to(request.user):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied(_("승인된 회원만 볼 수 있는 사례입니다."))
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from cases.selectors import case_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(case_page_context(case=self, user=request.user))
        return context

    @path("")
    def show(self, request):
        return self.render(request)

    @path("logs/new/")
    def log_create(self, request):
        from cases.views import log_entry_create_view

        return log_entry_create_view(request, case=self)

    @path("logs/<int:entry_id>/edit/")
    def log_edit(self, request, entry_id):
        from cases.views import log_entry_edit_view

        return log_entry_edit_view(request, case=self, entry_id=entry_id)

    @path("logs/<int:entry_id>/delete/")
    def log_delete(self, request, entry_id):
        from cases.views import log_entry_delete_view

        return log_entry_delete_view(request, case=self, entry_id=entry_id)

    @path("adopt/")
    def adopt(self, request):
        from cases.views import adoption_record_view

        return adoption_record_view(request, case=self)

    @path("adopt/new/")
    def adopt_as_new_case(self, request):
        from cases.views import adoption_case_start_view

        return adoption_case_start_view(request, case=self)


class CaseOutcomeIndicator(Orderable):
    """A measurable outcome, e.g. '교차로 평균 대기시간 | 23 | % 감소'."""

    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="indicators")
    label = models.CharField(_("지표"), max_length=120)
    value = models.CharField(_("값"), max_length=40)
    unit = models.CharField(_("단위"), max_length=30, blank=True)

    panels = [FieldRowPanel([FieldPanel("label"), FieldPanel("value"), FieldPanel("unit")])]

    def __str__(self) -> str:
        return f"{self.label} {self.value}{self.unit}"


class CaseAsset(Orderable):
    """Something a peer can reuse: tender documents, open-source code, manuals."""

    class Kind(models.TextChoices):
        TENDER = "tender", _("입찰·제안요청서")
        CODE = "code", _("오픈소스 코드")
        MANUAL = "manual", _("매뉴얼·가이드")
        OTHER = "other", _("기타 자료")

    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("종류"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("제목"), max_length=200)
    url = models.URLField(_("링크"), blank=True)
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("문서"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [FieldRowPanel([FieldPanel("kind"), FieldPanel("title")]), FieldRowPanel([FieldPanel("url"), FieldPanel("document")])]

    def clean(self):
        if not self.url and not self.document_id:
            raise ValidationError(_("링크나 문서 중 하나는 있어야 합니다."))

    @property
    def href(self) -> str:
        return self.document.url if self.document_id else self.url
