"""Who is acting: the request's user, or a named service identity for tasks and commands.

simple-history asks `history_user_for()` for the user of every historical row. A request
supplies its user through simple-history's middleware; Celery tasks and management
commands run under service users (`system.celery`, `system.command`) and a label naming
the task or command, kept in a context variable so that threads and tasks never mix.
"""

from __future__ import annotations

import contextvars
import getpass
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

CELERY_USERNAME = "system.celery"
COMMAND_USERNAME = "system.command"

# Commands that serve requests: their writes belong to the requests' users. (`shell` is not
# one: it serves no request, so a service called from it had no actor at all and wrote
# history rows with neither user nor actor. It writes as the command identity, its label
# naming the operating-system user who ran it.)
_REQUEST_SERVING_COMMANDS = {"runserver", "testserver"}
_INTERACTIVE_COMMANDS = {"shell", "shell_plus"}


@dataclass
class Actor:
    username: str | None = None
    label: str = ""
    user: object | None = field(default=None, repr=False)

    def resolve(self):
        """The User row; service users are looked up (or made) lazily, at first write."""
        if self.user is None and self.username:
            self.user = service_user(self.username)
        return self.user


_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("audit_actor", default=None)


def service_user(username: str):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, is_service=True, first_name=username)
        user.set_unusable_password()
        user._history_user = None  # it creates itself; nobody else is acting yet
        # Stored once, so in the deployment's language (not the caller's).
        with translation.override(settings.LANGUAGE_CODE):
            user._change_reason = gettext("service identity created on first use")
        user.save()
    return user


@contextmanager
def acting_as(*, user=None, username: str | None = None, label: str = ""):
    """Run a block as `user`, or as the service user `username`, labelled for the history."""
    token = _actor.set(Actor(username=username, label=label, user=user))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor | None:
    return _actor.get()


def history_user_for(instance=None, request=None, **kwargs):
    """simple-history's get_user: an explicit actor first, then the request's user."""
    actor = _actor.get()
    if actor is not None:
        return actor.resolve()
    if request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            return request.user
    return None


def actor_label(history_user) -> str:
    actor = _actor.get()
    if actor is not None and actor.label:
        return actor.label[:150]
    return getattr(history_user, "username", "") or ""


def install_command_identity():
    """Every management command (ours or Django's) writes as `system.command`."""
    from django.core.management.base import BaseCommand

    if getattr(BaseCommand.execute, "_audited", False):
        return
    original = BaseCommand.execute

    def execute(self, *args, **options):
        name = self.__class__.__module__.rsplit(".", 1)[-1]
        if name in _REQUEST_SERVING_COMMANDS or _actor.get() is not None:
            return original(self, *args, **options)
        label = f"command:{name}"
        if name in _INTERACTIVE_COMMANDS:
            label += f" ({_os_user()})"
        with acting_as(username=COMMAND_USERNAME, label=label[:150]):
            return original(self, *args, **options)

    execute._audited = True
    BaseCommand.execute = execute


def _os_user() -> str:
    """Who runs this process on the machine (the person at an interactive shell)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"uid {os.getuid()}"


def install_celery_identity():
    """Every Celery task writes as `system.celery`, labelled with the task's name."""
    from celery.signals import task_postrun, task_prerun

    tokens: dict[str, contextvars.Token] = {}

    def _start(task_id=None, task=None, **kwargs):
        tokens[task_id] = _actor.set(
            Actor(username=CELERY_USERNAME, label=f"celery:{task.name}"[:150])
        )

    def _end(task_id=None, **kwargs):
        token = tokens.pop(task_id, None)
        if token is not None:
            _actor.reset(token)

    task_prerun.connect(_start, weak=False, dispatch_uid="audit_task_identity_start")
    task_postrun.connect(_end, weak=False, dispatch_uid="audit_task_identity_end")
