import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """These tests read messages in English (the UI default is Chinese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
