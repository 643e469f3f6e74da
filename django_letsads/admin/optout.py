"""The stop-list admin: search, add, delete (= opt back in), CSV import and export.

Adding and deleting go through :mod:`django_letsads.optout`, so numbers are normalised and the
``opted_out`` / ``opted_in`` signals are sent as for any other way in or out. Deleting needs
Django's delete permission on opt-outs, importing the add permission, exporting the view one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_letsads import optout, stoplist
from django_letsads.admin import display
from django_letsads.exceptions import InvalidRecipientError
from django_letsads.models import OptOut
from django_letsads.phones import normalize

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[OptOut]
    _ModelForm = forms.ModelForm[OptOut]
else:  # the classes are generic only in the stubs
    _ModelAdmin = admin.ModelAdmin
    _ModelForm = forms.ModelForm

SHOWN_REJECTS = 20


class OptOutForm(_ModelForm):
    class Meta:
        model = OptOut
        fields = ["number", "reason"]

    def clean_number(self) -> str:
        raw = str(self.cleaned_data.get("number") or "")
        try:
            return normalize(raw)
        except InvalidRecipientError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class StopListImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "A number column and an optional reason column, separated by ',' or ';', in UTF-8."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("For lines that give none."),
    )


class OptOutAdmin(_ModelAdmin):
    form = OptOutForm
    list_display = ["number", "source", "reason", "campaign", "created_at"]
    list_filter = ["source", "created_at"]
    list_select_related = ["campaign"]
    search_fields = ["number", "reason"]
    date_hierarchy = "created_at"
    # Counting a million rows twice per page is the slow part of a big list.
    show_full_result_count = False
    change_list_template = "admin/django_letsads/optout/change_list.html"

    def get_fields(self, request: HttpRequest, obj: OptOut | None = None) -> Any:
        if obj is None:
            return ["number", "reason"]
        return ["number", "reason", "source", "campaign", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: OptOut | None = None) -> list[str]:
        return [] if obj is None else ["number", "source", "campaign", "created_at"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[OptOut], search_term: str
    ) -> tuple[QuerySet[OptOut], bool]:
        # A whole number as people write it ("+380 50 …") is found on the unique index.
        try:
            number = normalize(search_term)
        except InvalidRecipientError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(number=number), False

    def save_model(
        self, request: HttpRequest, obj: OptOut, form: ModelForm[OptOut], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        optout.opt_out(obj.number, obj.reason, source=OptOut.Source.ADMIN)
        saved = OptOut.objects.get(number=obj.number)
        obj.pk, obj.source, obj.created_at = saved.pk, saved.source, saved.created_at

    def delete_model(self, request: HttpRequest, obj: OptOut) -> None:
        optout.remove_many([obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[OptOut]) -> None:
        optout.remove_many(list(queryset))

    # -- CSV -----------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="django_letsads_optout_import"),
            path("export/", view(self.export_view), name="django_letsads_optout_export"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StopListImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = stoplist.import_csv(upload, reason=form.cleaned_data["reason"])
            self._report(request, report, upload.name)
            return HttpResponseRedirect(reverse("admin:django_letsads_optout_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import opt-outs from CSV"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/django_letsads/optout/import.html", context)

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = StreamingHttpResponse(stoplist.export_lines(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="opt-outs.csv"'
        return response

    def _report(self, request: HttpRequest, report: stoplist.StopListReport, name: str) -> None:
        summary = _(
            "File “%(name)s”: %(added)s added, %(already)s already on the list, "
            "%(rejected)s rejected."
        ) % {
            "name": name,
            "added": report.added,
            "already": report.already,
            "rejected": report.rejected_count,
        }
        lines = format_html_join(
            "",
            "<br>{}",
            (
                (
                    _("Line %(line)d “%(text)s”: %(reason)s")
                    % {"line": line, "text": text, "reason": display.translate_reason(reason)},
                )
                for line, text, reason in report.rejected[:SHOWN_REJECTS]
            ),
        )
        more = report.rejected_count - min(len(report.rejected), SHOWN_REJECTS)
        tail = (
            ngettext("and %(count)d more rejected line", "and %(count)d more rejected lines", more)
            % {"count": more}
            if more
            else ""
        )
        self.message_user(
            request,
            format_html("{}{}{}", summary, lines, format_html("<br>{}", tail) if tail else ""),
            messages.WARNING if report.rejected_count else messages.SUCCESS,
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"can_import": self.has_add_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)
