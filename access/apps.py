from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import scoping


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("Users and roles")

    def ready(self):
        from .selectors import ScopeResolver  # models are ready only now

        scoping.register_resolver(ScopeResolver())
        from . import logins

        logins.connect()
