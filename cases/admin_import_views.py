"""Importing cases from a spreadsheet in the Wagtail admin (사례 가져오기): template, upload, preview, import.

1. Upload an .xlsx (the template from `cases/spreadsheet.py`), .csv or .json file of at most MAX_UPLOAD_BYTES. It is
   kept on the server under a random name (UPLOAD_DIR) and the browser gets a signed token naming it, valid for
   UPLOAD_MAX_AGE seconds and for the uploader only: the import never trusts a copy the browser sends back.
2. Preview: a dry run of `cases_import` (the validator of `manage.py import_cases`) lists every problem by the row
   Excel shows and the column's Korean header, or the cases that would be created and updated.
3. 가져오기: the same stored file is validated again and written all at once, in one transaction, or not at all.

Curators may import any case; approved officials only cases led by their own local government (importing.py says so
per row). A curator's import is published at once; an official's goes to the curators' review, as a case saved in
the editor does.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from hub import permissions

from .importing import ImportFileError, ImportResult, RecordFile, RowError, cases_import, read_record_file
from .spreadsheet import XLSX_CONTENT_TYPE, column_label, import_template_build

ALLOWED_SUFFIXES = (".xlsx", ".csv", ".json")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_MAX_AGE = 60 * 60  # seconds between upload and import
UPLOAD_SALT = "cases.import-upload"
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv|json)$")
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive


def can_import_cases(user) -> bool:
    return permissions.is_curator(user) or (permissions.is_official(user) and permissions.is_approved_member(user))


# Stored uploads ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    name: str  # as the user named it

    def read(self) -> RecordFile:
        try:
            return read_record_file(self.path)
        except ImportFileError as error:
            # The importer names the server-side path; the user knows their own file name.
            raise ImportFileError(str(error).replace(str(self.path), self.name)) from None


def upload_dir() -> Path:
    # Under MEDIA_ROOT so every web server of a deployment sees it; "private" is never linked, and names are random.
    return Path(settings.MEDIA_ROOT) / "private" / "imports"


def import_upload_store(file, *, user) -> tuple[StoredUpload, str]:
    """Keep an uploaded file on the server; returns it and the token that names it for this user."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _discard_stale(folder)
    stored = f"{secrets.token_hex(16)}{Path(file.name).suffix.lower()}"
    with (folder / stored).open("wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
    token = signing.dumps({"file": stored, "user": user.pk, "name": Path(file.name).name[:200]}, salt=UPLOAD_SALT)
    return StoredUpload(folder / stored, Path(file.name).name[:200]), token


def import_upload_get(token: str, *, user) -> StoredUpload | None:
    """The upload a token names, if it is this user's, recent and still there."""
    try:
        data = signing.loads(token, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("user") != user.pk or not STORED_NAME.match(str(data.get("file", ""))):
        return None
    path = upload_dir() / data["file"]
    return StoredUpload(path, str(data.get("name") or path.name)) if path.exists() else None


def import_upload_discard(upload: StoredUpload) -> None:
    upload.path.unlink(missing_ok=True)


def _discard_stale(folder: Path) -> None:
    """Uploads nobody imported within the token's life are of no further use."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


# Forms and view models ---------------------------------------------------------------------------------------------


class CaseImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("파일"),
        help_text=gettext_lazy("엑셀 양식(.xlsx), CSV(.csv, UTF-8) 또는 JSON(.json) 파일, 최대 5MB"),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        suffix = Path(file.name).suffix.lower()
        if suffix == ".xls":
            raise ValidationError(_("예전 엑셀 형식(.xls)은 읽을 수 없습니다. 엑셀에서 ‘다른 이름으로 저장’ → .xlsx로 저장해 올려 주세요."))
        if suffix not in ALLOWED_SUFFIXES:
            raise ValidationError(_("엑셀(.xlsx), CSV(.csv) 또는 JSON(.json) 파일만 올릴 수 있습니다."))
        if file.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("파일이 너무 큽니다(%(size)s MB). 5MB 이하로 나누어 올려 주세요.") % {"size": f"{file.size / 2**20:.1f}"}
            )
        if not file.size:
            raise ValidationError(_("빈 파일입니다."))
        if suffix == ".xlsx" and file.read(len(XLSX_MAGIC)) != XLSX_MAGIC:
            raise ValidationError(_("엑셀(.xlsx) 파일이 아닙니다. 확장자만 바꾼 파일은 읽을 수 없습니다."))
        file.seek(0)
        return file


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole
    column: str
    key: str
    message: str


@dataclass(frozen=True)
class PlannedRow:
    row: int
    key: str
    title: str
    updates: bool


def problems_of(result: ImportResult) -> list[Problem]:
    return [Problem(error.row or None, column_label(error.field), error.key, error.message) for error in result.errors]


def planned_rows(file: RecordFile, result: ImportResult) -> list[PlannedRow]:
    numbers = file.row_numbers or range(1, len(file.records) + 1)
    updated = set(result.updated)
    return [
        PlannedRow(number, str(record.get("key", "")), str(record.get("title", "")), str(record.get("key", "")) in updated)
        for number, record in zip(numbers, file.records, strict=True)
        if isinstance(record, dict)
    ]


# Views -------------------------------------------------------------------------------------------------------------


class ImportAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_import_cases(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CaseImportView(ImportAccessMixin, WagtailAdminTemplateMixin, FormView):
    """Step 1: the template to download and the upload form."""

    template_name = "cases/admin/import_upload.html"
    form_class = CaseImportUploadForm
    page_title = gettext_lazy("사례 가져오기")
    header_icon = "upload"

    def get_context_data(self, **kwargs):
        member = permissions.member_of(self.request.user)
        own_place = member.place if member and not permissions.is_curator(self.request.user) else None
        return super().get_context_data(**kwargs, own_place=own_place)

    def form_valid(self, form):
        upload, token = import_upload_store(form.cleaned_data["file"], user=self.request.user)
        try:
            upload.read()
        except ImportFileError as error:
            import_upload_discard(upload)
            form.add_error("file", _("파일을 읽을 수 없습니다: %(reason)s") % {"reason": error})
            return self.form_invalid(form)
        return redirect(f"{reverse('cases_import_preview')}?{urlencode({'upload': token})}")


class CaseImportPreviewView(ImportAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    """Step 2 (GET): the dry run; step 3 (POST 가져오기): the import, all rows or none."""

    template_name = "cases/admin/import_preview.html"
    page_title = gettext_lazy("사례 가져오기")
    page_subtitle = gettext_lazy("미리 보기")
    header_icon = "upload"

    def get(self, request, *args, **kwargs):
        return self._respond(request.GET.get("upload", ""), dry_run=True)

    def post(self, request, *args, **kwargs):
        return self._respond(request.POST.get("upload", ""), dry_run=False)

    def _respond(self, token: str, *, dry_run: bool):
        upload = import_upload_get(token, user=self.request.user)
        if upload is None:
            messages.error(self.request, _("올린 파일을 찾을 수 없습니다(1시간이 지났거나 이미 가져왔습니다). 다시 올려 주세요."))
            return redirect("cases_import")
        try:
            file = upload.read()
            result = cases_import(records=file.records, row_numbers=file.row_numbers, dry_run=dry_run, user=self.request.user)
        except ImportFileError as error:
            import_upload_discard(upload)
            messages.error(self.request, _("파일을 읽을 수 없습니다: %(reason)s") % {"reason": error})
            return redirect("cases_import")
        except ValidationError as error:  # a page rule the row check cannot see (e.g. a slug taken by another page)
            result = ImportResult(dry_run=dry_run, errors=[RowError(0, "", "(file)", "; ".join(error.messages))])
        publishes = permissions.is_curator(self.request.user)
        if not dry_run and result.ok:
            import_upload_discard(upload)
            messages.success(self.request, _done_message(upload, result, published=publishes))
            return redirect("cases_import")
        if not dry_run and result.errors:
            messages.error(self.request, _("문제가 있어 아무것도 가져오지 않았습니다. 아래 목록을 고친 뒤 다시 올려 주세요."))
        context = self.get_context_data(
            upload=upload,
            token=token,
            problems=problems_of(result),
            rows=planned_rows(file, result) if result.ok else [],
            created=len(result.created),
            updated=len(result.updated),
            record_count=len(file.records),
            publishes=publishes,
        )
        return self.render_to_response(context)


def _done_message(upload: StoredUpload, result: ImportResult, *, published: bool) -> str:
    counts = {"name": upload.name, "created": len(result.created), "updated": len(result.updated)}
    if published:
        return _("%(name)s: 사례 %(created)s건을 새로 만들고 %(updated)s건을 고쳤습니다.") % counts
    return _("%(name)s: 새 사례 %(created)s건과 고친 사례 %(updated)s건을 큐레이터 검토에 올렸습니다. 승인되면 게시됩니다.") % counts


def import_template_view(request):
    """The .xlsx template, built from the live vocabularies."""
    if not can_import_cases(request.user):
        raise PermissionDenied
    filename = f"gachi-hub-cases-template-{timezone.localdate():%Y-%m-%d}.xlsx"
    return FileResponse(io.BytesIO(import_template_build()), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
