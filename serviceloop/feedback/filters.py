import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import ComplaintStatus
from .models import ServiceComplaint


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=ComplaintStatus.choices, empty_label=_("all"))

    class Meta:
        model = ServiceComplaint
        fields = ["status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
