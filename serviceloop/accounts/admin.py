from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from serviceloop.core.admin import ServiceLoopAdmin, ServiceLoopHistoryAdmin

from . import services
from .models import Branch, Department, EngineerProfile, EngineerSkill, Skill, User
from .roles import BRANCH_STAFF, CUSTOMER, role_label


@admin.register(Branch)
class BranchAdmin(ServiceLoopHistoryAdmin):
    list_display = ("code", "name", "region", "city", "is_headquarters")
    list_filter = ("is_headquarters",)
    search_fields = ("code", "name", "city")
    service = services.branch_save


@admin.register(Department)
class DepartmentAdmin(ServiceLoopHistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    service = services.department_save


@admin.register(Skill)
class SkillAdmin(ServiceLoopAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    service = services.skill_save


class EngineerSkillInline(admin.TabularInline):
    model = EngineerSkill
    extra = 1
    autocomplete_fields = ("skill",)


@admin.register(EngineerProfile)
class EngineerProfileAdmin(ServiceLoopHistoryAdmin):
    list_display = ("user", "home_city", "phone", "active", "branch")
    list_filter = ("active", "user__branch")
    list_select_related = ("user__branch",)
    search_fields = ("user__username", "user__display_name", "home_city", "phone")
    autocomplete_fields = ("user",)
    inlines = (EngineerSkillInline,)

    @admin.display(description=_("branch"), ordering="user__branch__code")
    def branch(self, obj: EngineerProfile) -> str:
        return str(obj.user.branch or "")


def _check_scope(cleaned: dict) -> None:
    """A customer portal user has the customer role and no other; staff have no customer; branch staff
    belong to a regional branch. (A scoped role without its scope would see nothing: core/scoping.py.)"""
    customer = cleaned.get("customer")
    groups = cleaned.get("groups")
    names = {g.name for g in groups} if groups is not None else set()
    if customer is not None and names - {CUSTOMER}:
        raise forms.ValidationError({"groups": _("A customer portal user has the customer role and no other.")})
    if customer is not None and (cleaned.get("is_staff") or cleaned.get("is_superuser")):
        raise forms.ValidationError({"customer": _("A customer portal user cannot be an administrator.")})
    if customer is None and CUSTOMER in names:
        raise forms.ValidationError({"customer": _("A customer portal user must belong to a customer.")})
    branch = cleaned.get("branch")
    if BRANCH_STAFF in names and (branch is None or branch.is_headquarters):
        raise forms.ValidationError({"branch": _("Branch office staff must belong to a regional branch, "
                                                 "not to headquarters.")})


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean(self):
        cleaned = super().clean()
        _check_scope(cleaned)
        return cleaned


class UserAddForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "phone", "email", "first_name", "last_name")}),
        (_("Scope"), {"fields": ("branch", "department", "customer")}),
        (_("Roles and permissions"),
         {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "display_name", "usable_password", "password1", "password2")}),
    )
    list_display = ("username", "display_name", "roles", "branch", "customer", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups", "branch", "department")
    list_select_related = ("branch", "customer")
    search_fields = ("username", "display_name", "phone", "email")
    autocomplete_fields = ("customer",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        return "、".join(role_label(g.name) for g in obj.groups.all())
