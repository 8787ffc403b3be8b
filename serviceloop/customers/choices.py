from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerLevel(models.TextChoices):
    KEY = "A", _("A · key account")
    IMPORTANT = "B", _("B · important")
    NORMAL = "C", _("C · normal")
