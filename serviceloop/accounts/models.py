from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from serviceloop.core.models import TimestampedModel


class Branch(TimestampedModel):
    """销售分公司/区域: a regional office. Staff of a branch see only their region's records."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    is_headquarters = models.BooleanField(_("headquarters"), default=False)

    scope_global = True
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(TimestampedModel):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    scope_global = True
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. The role is a group; the scope is branch or customer."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer (portal users)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="portal_users",
        help_text=_("Set only for customer portal users: they see only this customer's records."),
    )

    # the language this person reads (pages, notifications, e-mails); blank: as the browser asks
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default="",
        help_text=_("The language of pages, notifications and e-mails. Blank: the browser's language."),
    )

    # changes with the user's roles and own permissions (core/stamps.py): their cached permissions reload
    access_stamp = models.CharField(_("access stamp"), max_length=32, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return self.display_name or super().get_full_name()

    @property
    def role_names(self) -> list[str]:
        return sorted(self.groups.values_list("name", flat=True))


class Skill(TimestampedModel):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)

    scope_global = True

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class EngineerProfile(TimestampedModel):
    """A field engineer: home base, phone, skills. Used to rank engineers for dispatch."""

    user = models.OneToOneField(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="engineer")
    home_city = models.CharField(_("home base city"), max_length=50)
    home_latitude = models.DecimalField(
        _("home base latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    home_longitude = models.DecimalField(
        _("home base longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    phone = models.CharField(_("phone"), max_length=30)
    active = models.BooleanField(_("available for dispatch"), default=True)

    scope_paths = {"branch": "user__branch"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("engineer profile")
        verbose_name_plural = _("engineer profiles")

    def __str__(self) -> str:
        return str(self.user)


class EngineerSkill(models.Model):
    engineer = models.ForeignKey(
        EngineerProfile, verbose_name=_("engineer"), on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(Skill, verbose_name=_("skill"), on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("1 (basic) to 5 (expert)")
    )

    class Meta:
        verbose_name = _("engineer skill")
        verbose_name_plural = _("engineer skills")
        constraints = [models.UniqueConstraint(fields=["engineer", "skill"], name="uniq_engineer_skill")]

    def __str__(self) -> str:
        return f"{self.skill} L{self.level}"
