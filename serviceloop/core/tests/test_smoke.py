import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_customer_list_and_detail_for_desk(client, cast):
    client.force_login(cast.desk)
    r = client.get(reverse("customers:list"))
    assert r.status_code == 200
    assert "甲公司" in r.content.decode()
    r = client.get(reverse("customers:detail", args=[cast.customer_a.pk]))
    assert r.status_code == 200
