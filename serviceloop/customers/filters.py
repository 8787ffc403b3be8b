import django_filters
from django.utils.translation import gettext_lazy as _

from serviceloop.accounts.models import Branch
from serviceloop.core.filters import StyledFilterSet

from .choices import CustomerLevel
from .models import Customer


class CustomerFilter(StyledFilterSet):
    level = django_filters.ChoiceFilter(label=_("customer level"), choices=CustomerLevel.choices,
                                        empty_label=_("all"))
    branch = django_filters.ModelChoiceFilter(label=_("branch"), queryset=Branch.objects.none(), empty_label=_("all"))

    class Meta:
        model = Customer
        fields = ["level", "branch"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # offer only the branches the user may see (customers see none: they have one branch anyway)
        user = getattr(self.request, "user", None)
        self.filters["branch"].queryset = Branch.objects.restrict(user, "view")
        self.form.fields["branch"].queryset = Branch.objects.restrict(user, "view")
