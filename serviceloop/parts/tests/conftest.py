from serviceloop.workorders.tests.conftest import Crew, _english_messages, crew  # noqa: F401 (the same cast)
