import pytest
from django.utils import translation

from serviceloop.accounts.tests.factories import SkillFactory, UserFactory

from .factories import dispatcher, engineer


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """These tests read messages in English (the UI default is Chinese): in code and in requests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


class Crew:
    """The cast plus the people of dispatch: a dispatcher, engineers of east, south and headquarters."""

    def __init__(self, cast, hq, east, south):
        self.cast = cast
        self.hq, self.east, self.south = hq, east, south
        self.skill = SkillFactory(code="SMT", name="SMT 贴片")
        self.dispatcher = dispatcher(hq)
        self.east_eng = engineer(branch=east, username="east_eng", city="上海", lat=31.23, lng=121.47,
                                 skills={self.skill: 4}, phone="13911112222")
        self.east_helper = engineer(branch=east, username="east_helper", city="苏州", lat=31.30, lng=120.58,
                                    skills={self.skill: 2})
        self.south_eng = engineer(branch=south, username="south_eng", city="深圳", lat=22.54, lng=114.06,
                                  skills={self.skill: 5})
        self.hq_eng = engineer(branch=hq, username="hq_eng", city="苏州", lat=31.30, lng=120.58,
                               skills={self.skill: 5})
        self.keeper = UserFactory(username="keeper", branch=hq, roles=["warehouse"])  # the parts department

    def __getattr__(self, name):
        return getattr(self.cast, name)


@pytest.fixture
def crew(cast, hq, east, south):
    return Crew(cast, hq, east, south)
