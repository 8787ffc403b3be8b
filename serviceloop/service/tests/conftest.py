import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """These service tests read messages in English (the UI default is Chinese)."""
    with translation.override("en"):
        yield
