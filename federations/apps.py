from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationsConfig(AppConfig):
    name = "federations"
    verbose_name = _("Regions and organizations")

    def ready(self):
        from . import importing  # noqa: F401  (registers the job offering an import's errors)
