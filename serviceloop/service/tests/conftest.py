import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """These service tests read messages in English (the UI default is Chinese): in code and in requests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_shipped_policies(db):
    """The SLA tests define the policies they need; the shipped default policies (a data migration) go."""
    from serviceloop.service.models import SlaPolicy

    SlaPolicy.objects.all().delete()

