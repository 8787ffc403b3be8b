"""Writes for people and organisation: branches, departments, skills, users, engineer profiles.

Each validates, saves and records a timeline event, like the other apps' services.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from serviceloop.core.concurrency import save_and_record
from serviceloop.core.timeline import record_event

from .models import Branch, Department, EngineerProfile, EngineerSkill, Skill, User
from .roles import ALL_ROLES, BRANCH_STAFF, CUSTOMER


@transaction.atomic
def branch_save(*, user: Any, instance: Branch, expected_version: int | None = None, **_ignored: Any) -> Branch:
    instance.code = instance.code.strip().upper()
    return save_and_record(instance, user=user, expected_version=expected_version)


@transaction.atomic
def department_save(*, user: Any, instance: Department, expected_version: int | None = None, **_ignored: Any) -> Department:
    instance.code = instance.code.strip().upper()
    return save_and_record(instance, user=user, expected_version=expected_version)


@transaction.atomic
def skill_save(*, user: Any, instance: Skill, expected_version: int | None = None, **_ignored: Any) -> Skill:
    instance.code = instance.code.strip().upper()
    return save_and_record(instance, user=user, expected_version=expected_version)


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    display_name: str,
    roles: Iterable[str],
    password: str | None = None,
    check_password: bool = True,
    branch: Branch | None = None,
    department: Department | None = None,
    customer: Any = None,
    phone: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a login with its roles (groups) and its scope (branch or customer).

    A customer portal user has the customer role only and is tied to one customer; staff are
    never tied to a customer; branch office staff belong to a regional branch (a scoped role without
    its scope would see nothing). Without a password the account cannot log in until one is set.
    """
    roles = list(dict.fromkeys(roles))
    errors: dict[str, list[str]] = {}
    unknown = [r for r in roles if r not in ALL_ROLES]
    if unknown:
        errors.setdefault("roles", []).append(_("Unknown role: %(roles)s") % {"roles": ", ".join(unknown)})
    if customer is not None and roles != [CUSTOMER]:
        errors.setdefault("roles", []).append(_("A customer portal user has the customer role and no other."))
    if CUSTOMER in roles and customer is None:
        errors.setdefault("customer", []).append(_("A customer portal user must belong to a customer."))
    if customer is not None and (is_staff or is_superuser):
        errors.setdefault("customer", []).append(_("A customer portal user cannot be an administrator."))
    if BRANCH_STAFF in roles and (branch is None or branch.is_headquarters):
        errors.setdefault("branch", []).append(_("Branch office staff must belong to a regional branch, "
                                                 "not to headquarters."))
    user = User(
        username=username.strip(), display_name=display_name.strip(), branch=branch, department=department,
        customer=customer, phone=phone.strip(), email=email.strip(), is_staff=is_staff, is_superuser=is_superuser,
    )
    if password:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                errors.setdefault("password", []).extend(exc.messages)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    user.save()
    if roles:
        groups = list(Group.objects.filter(name__in=roles))
        missing = sorted(set(roles) - {g.name for g in groups})
        if missing:
            # the role groups are created by migrate (sync_roles); a missing one is a setup error
            raise ValidationError({"roles": _("Role not set up yet: %(roles)s") % {"roles": ", ".join(missing)}})
        user.groups.set(groups)
    record_event(user, actor=actor, verb="created", note=", ".join(roles))
    return user


@transaction.atomic
def engineer_profile_save(
    *,
    user: Any,
    instance: EngineerProfile,
    skills: Mapping[Skill, int] | None = None,
    expected_version: int | None = None,
    **_ignored: Any,
) -> EngineerProfile:
    """Save a field engineer's profile and (if given) replace the skills with {skill: level 1-5}."""
    if skills is not None:
        bad = [str(skill) for skill, level in skills.items() if not 1 <= int(level) <= 5]
        if bad:
            raise ValidationError({"skills": _("A skill level is 1 to 5: %(skills)s") % {"skills": ", ".join(bad)}})
    obj = save_and_record(instance, user=user, expected_version=expected_version)
    if skills is not None:
        obj.skills.all().delete()
        EngineerSkill.objects.bulk_create(
            EngineerSkill(engineer=obj, skill=skill, level=int(level)) for skill, level in skills.items()
        )
    return obj


def user_set_language(*, user: Any, language: str) -> User:
    """A person's own language (pages, notifications, e-mails); "" follows the browser."""
    from django.conf import settings

    language = (language or "").strip()
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [_("Choose one of the languages offered.")]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
