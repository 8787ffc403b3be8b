from __future__ import annotations

import factory

from serviceloop.accounts.tests.factories import BranchFactory
from serviceloop.customers.models import Contact, Customer, Site


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"客户公司{n}")
    level = "B"
    branch = factory.SubFactory(BranchFactory)
    address = "上海市浦东新区"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"一号车间{n}")
    city = "上海"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    phone = factory.Sequence(lambda n: f"1390000{n:04d}")
