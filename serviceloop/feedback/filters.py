import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from serviceloop.core.filters import StyledFilterSet

from .choices import ComplaintCategory, ComplaintChannel, ComplaintStatus
from .models import ComplaintAnalysis, ServiceComplaint

YES_NO = [("yes", _("yes")), ("no", _("no"))]


def overdue_analyses() -> QuerySet[ComplaintAnalysis]:
    """Departments' parts past their due time and still unanswered, of complaints waiting for them."""
    return ComplaintAnalysis.objects.filter(submitted_at__isnull=True, due_at__lt=timezone.now(),
                                            complaint__status=ComplaintStatus.ANALYSING)


class ComplaintFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=ComplaintStatus.choices, empty_label=_("all"))
    category = django_filters.ChoiceFilter(label=pgettext_lazy("complaint", "about"), choices=ComplaintCategory.choices, empty_label=_("all"))
    channel = django_filters.ChoiceFilter(label=pgettext_lazy("complaint", "received by"), choices=ComplaintChannel.choices,
                                          empty_label=_("all"))
    major = django_filters.ChoiceFilter(label=pgettext_lazy("complaint", "major complaint"), choices=YES_NO, empty_label=_("all"),
                                        method="filter_major")
    overdue = django_filters.ChoiceFilter(label=pgettext_lazy("complaint", "analysis overdue"), choices=YES_NO, empty_label=_("all"),
                                          method="filter_overdue")

    class Meta:
        model = ServiceComplaint
        fields = ["status", "category", "channel", "major", "overdue"]

    def filter_major(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(major=value == "yes")

    def filter_overdue(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        late = Exists(overdue_analyses().filter(complaint=OuterRef("pk")))
        return qs.filter(late) if value == "yes" else qs.exclude(late)
