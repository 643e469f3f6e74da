"""The read-only message admin: what happened to each text, with its status history.

Messages change only through the worker and the campaign services, never by hand, so the admin
shows them and offers the two safe actions (resend unknown, poll now).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from django_letsads.admin import actions
from django_letsads.exceptions import InvalidRecipientError
from django_letsads.models import Message, StatusEvent
from django_letsads.phones import normalize

if TYPE_CHECKING:
    _Inline = admin.TabularInline[StatusEvent, Message]
    _ModelAdmin = admin.ModelAdmin[Message]
else:  # the classes are generic only in the stubs
    _Inline = admin.TabularInline
    _ModelAdmin = admin.ModelAdmin


class StatusEventInline(_Inline):
    model = StatusEvent
    fields = ["created_at", "old_status", "new_status", "code", "note"]
    readonly_fields = ["created_at", "old_status", "new_status", "code", "note"]
    extra = 0
    can_delete = False
    ordering = ["id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageAdmin(_ModelAdmin):
    list_display = [
        "recipient",
        "recipient_name",
        "campaign",
        "status",
        "gateway_status",
        "error_code",
        "sms_id",
        "created_at",
        "sent_at",
        "final_at",
    ]
    list_filter = ["status", "campaign", "created_at"]
    list_select_related = ["campaign"]
    search_fields = ["recipient", "=sms_id"]
    # Counting a million rows twice per page is the slow part of a big list.
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["campaign", "recipient", "recipient_name", "effective_sender"]}),
        (None, {"fields": ["effective_text"]}),
        (
            None,
            {
                "fields": [
                    "status",
                    "account",
                    "sms_id",
                    "gateway_status",
                    "error_code",
                    "error_message",
                    "created_at",
                    "claimed_at",
                    "sent_at",
                    "final_at",
                    "next_poll_at",
                    "poll_count",
                    "poll_failures",
                ]
            },
        ),
    ]
    inlines = [StatusEventInline]
    actions = [actions.resend_unknown_messages, actions.poll_campaigns_now]

    @admin.display(description=Message._meta.get_field("sender").verbose_name)
    def effective_sender(self, message: Message) -> str:
        return message.effective_sender

    @admin.display(description=Message._meta.get_field("text").verbose_name)
    def effective_text(self, message: Message) -> str:
        return message.effective_text

    def get_readonly_fields(self, request: HttpRequest, obj: Message | None = None) -> list[str]:
        return [str(f) for _, options in self.fieldsets for f in options["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).select_related("campaign")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Message], search_term: str
    ) -> tuple[QuerySet[Message], bool]:
        # People search by the number as they write it ("+380 50 …"); rows hold digits. A whole
        # number is looked up on the (recipient, campaign) index, where the plain search would
        # read every row of a million for a substring; a gateway id that happens to look like a
        # number is still found.
        try:
            number = normalize(search_term)
        except InvalidRecipientError:
            return super().get_search_results(request, queryset, search_term)
        match = Q(recipient=number)
        if search_term.strip().isdigit():
            match |= Q(sms_id=int(search_term))
        return queryset.filter(match), False

    def has_send_campaign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(actions.PERMISSION)

    # Django's titles ("Select message to view", "View message") are built from the model's
    # name and come out in the wrong grammatical case in Ukrainian and Russian.

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"title": _("Messages"), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Message | None = None,
    ) -> HttpResponse:
        context["title"] = _("Message")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
