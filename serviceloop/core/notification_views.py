"""The notification inbox (通知): newest first, unread in bold; opening one marks it read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .notifications import inbox, mark_read, unread_count

PAGE_SIZE = 25
MAX_PAGE = 2000


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's own notifications; pages fetch one row more than a page instead of counting."""
    page = _page_number(request)
    start = (page - 1) * PAGE_SIZE
    rows = list(inbox(request.user)[start : start + PAGE_SIZE + 1])
    context = {
        "notifications": rows[:PAGE_SIZE],
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
        "has_previous": page > 1,
        "unread": unread_count(request.user),
    }
    return render(request, "core/notifications.html", context)


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read and follow its link (only a link inside this site)."""
    notification = inbox(request.user).filter(pk=pk).first()
    if notification is None:  # someone else's, or none at all
        raise Http404(_("No such record, or you may not see it."))
    mark_read(request.user, [notification.pk])
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return redirect(url)
    return redirect("core:notifications")


@login_required
@require_POST
def notifications_mark_all_read(request: HttpRequest) -> HttpResponse:
    mark_read(request.user)
    return redirect("core:notifications")
