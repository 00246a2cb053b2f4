from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import context


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Kernel")

    def ready(self):
        context.install_command_identity()
        context.install_celery_identity()
