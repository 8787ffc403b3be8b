from __future__ import annotations

import datetime as dt

import factory

from serviceloop.assets.models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit
from serviceloop.assets.warranty import refresh_warranty
from serviceloop.customers.tests.factories import CustomerFactory


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PM-{n:03d}")
    name = factory.Sequence(lambda n: f"回流焊炉 {n}")
    service_class = "equipment"
    warranty_months = 12


class SalesOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrder

    number = factory.Sequence(lambda n: f"SO-T-{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    order_date = dt.date(2025, 1, 10)


class SalesOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrderLine

    order = factory.SubFactory(SalesOrderFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    product_model = factory.SubFactory(ProductModelFactory)
    quantity = 1


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    product_model = factory.SubFactory(ProductModelFactory)
    customer = factory.SubFactory(CustomerFactory)
    ship_date = dt.date(2025, 1, 15)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = model_class(*args, **kwargs)
        refresh_warranty(obj)
        obj.save()
        return obj


class ServiceContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceContract

    number = factory.Sequence(lambda n: f"SC-T-{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    title = "年度维保协议"
    start_date = dt.date(2026, 1, 1)
    end_date = dt.date(2026, 12, 31)
    price = 50000
