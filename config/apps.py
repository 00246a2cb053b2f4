from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectConfig(AppConfig):
    """The top of the layers: settings, urls and the demo seeding, which may import every app."""

    name = "config"
    verbose_name = _("Project")
