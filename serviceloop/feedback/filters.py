import django_filters
from django.utils.translation import gettext_lazy as _

from serviceloop.core.filters import StyledFilterSet

from .choices import ComplaintStatus
from .models import ServiceComplaint


class ComplaintFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=ComplaintStatus.choices, empty_label=_("all"))

    class Meta:
        model = ServiceComplaint
        fields = ["status"]
