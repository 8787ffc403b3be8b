from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "serviceloop.accounts"
    label = "accounts"
    verbose_name = _("People and access")

    def ready(self) -> None:
        from serviceloop.core.fastpaths import history

        from .roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate)
        history.install_if_enabled()  # one history manager class per model, not one per access (FASTPATHS)
