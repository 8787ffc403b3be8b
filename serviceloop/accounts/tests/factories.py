from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from serviceloop.accounts.models import Branch, Department, EngineerProfile, EngineerSkill, Skill, User


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"BR{n:02d}")
    name = factory.Sequence(lambda n: f"第{n}分公司")
    city = "上海"
    is_headquarters = False


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pw-Secret-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SK{n}")
    name = factory.Sequence(lambda n: f"技能{n}")


class EngineerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngineerProfile

    user = factory.SubFactory(UserFactory, roles=["field_engineer"])
    home_city = "苏州"
    phone = "13800000000"


class EngineerSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngineerSkill

    engineer = factory.SubFactory(EngineerProfileFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3
