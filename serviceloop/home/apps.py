from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The site's front: the home page, each role's landing page and the navigation bar. It sits on
    top of every other app (it may import any of them; none imports it)."""

    name = "serviceloop.home"
    label = "home"
    verbose_name = _("Home")
