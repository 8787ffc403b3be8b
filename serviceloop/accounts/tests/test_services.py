from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from serviceloop.accounts import services
from serviceloop.accounts.models import Branch, EngineerProfile, EngineerSkill, User
from serviceloop.accounts.tests.factories import SkillFactory, UserFactory
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.timeline import events_for


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.mark.django_db
def test_user_create_sets_roles_scope_password_and_timeline(admin_user, east):
    user = services.user_create(
        actor=admin_user, username=" east2 ", display_name="华东 王五", roles=["branch_staff"], password="Ware-House-91!",
        branch=east, phone="13900001111",
    )
    assert user.username == "east2"
    assert user.role_names == ["branch_staff"]
    assert user.branch == east
    assert user.check_password("Ware-House-91!")
    event = events_for(user).get()
    assert (event.verb, event.actor) == ("created", admin_user)


@pytest.mark.django_db
def test_user_create_without_password_cannot_log_in(admin_user, hq):
    user = services.user_create(actor=admin_user, username="nopw", display_name="某人", roles=["quality"], branch=hq)
    assert not user.has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"roles": ["no_such_role"]}, "roles"),
        ({"roles": ["customer"]}, "customer"),  # a portal user needs a customer
        ({"roles": ["customer", "service_desk"], "with_customer": True}, "roles"),
        ({"roles": ["customer"], "with_customer": True, "is_staff": True}, "customer"),
        ({"roles": ["branch_staff"]}, "branch"),  # branch staff need their regional branch
        ({"roles": ["branch_staff"], "at_headquarters": True}, "branch"),  # ... which headquarters is not
        ({"roles": ["quality"], "password": "123"}, "password"),
        ({"roles": ["quality"], "username": "taken"}, "username"),
    ],
)
def test_user_create_refuses_bad_input_without_writing(admin_user, cast, kwargs, field):
    UserFactory(username="taken")
    before = User.objects.count()
    args = {"username": "newbie", "display_name": "新人", "password": None, **kwargs}
    if args.pop("with_customer", False):
        args["customer"] = cast.customer_a
    if args.pop("at_headquarters", False):
        args["branch"] = cast.desk.branch
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=admin_user, **args)
    assert field in exc.value.message_dict
    assert User.objects.count() == before


@pytest.mark.django_db
def test_branch_save_normalises_code_and_refuses_stale_edit(admin_user):
    branch = services.branch_save(user=admin_user, instance=Branch(code=" west ", name="西南分公司", city="成都"))
    assert branch.code == "WEST"
    assert branch.version == 1
    assert [e.verb for e in events_for(branch)] == ["created"]
    first = Branch.objects.get(pk=branch.pk)
    second = Branch.objects.get(pk=branch.pk)
    first.city = "重庆"
    services.branch_save(user=admin_user, instance=first, expected_version=1)
    second.city = "昆明"
    with pytest.raises(StaleEditError):
        services.branch_save(user=admin_user, instance=second, expected_version=1)
    assert Branch.objects.get(pk=branch.pk).city == "重庆"


@pytest.mark.django_db
def test_engineer_profile_save_replaces_skills(admin_user):
    reflow, placement, software = SkillFactory(code="REFLOW"), SkillFactory(code="PLACEMENT"), SkillFactory(code="SW")
    user = UserFactory(roles=["field_engineer"])
    profile = services.engineer_profile_save(
        user=admin_user, instance=EngineerProfile(user=user, home_city="苏州", phone="13800000001"),
        skills={reflow: 5, placement: 3},
    )
    assert dict(profile.skills.values_list("skill__code", "level")) == {"REFLOW": 5, "PLACEMENT": 3}
    services.engineer_profile_save(user=admin_user, instance=profile, skills={software: 2})
    assert dict(profile.skills.values_list("skill__code", "level")) == {"SW": 2}
    assert [e.verb for e in events_for(profile)] == ["updated", "created"]


@pytest.mark.django_db
def test_engineer_profile_save_refuses_bad_level_without_writing(admin_user):
    skill = SkillFactory()
    user = UserFactory(roles=["field_engineer"])
    with pytest.raises(ValidationError) as exc:
        services.engineer_profile_save(
            user=admin_user, instance=EngineerProfile(user=user, home_city="苏州", phone="1"), skills={skill: 9}
        )
    assert "skills" in exc.value.message_dict
    assert not EngineerProfile.objects.exists()
    assert not EngineerSkill.objects.exists()


@pytest.mark.django_db
def test_engineer_profile_save_validates_coordinates(admin_user):
    user = UserFactory(roles=["field_engineer"])
    with pytest.raises(ValidationError) as exc:
        services.engineer_profile_save(
            user=admin_user,
            instance=EngineerProfile(user=user, home_city="苏州", phone="1", home_latitude=123, home_longitude=0),
        )
    assert "home_latitude" in exc.value.message_dict
