"""A login is not a change of the user: it is recorded in the login record (django-axes'
access log, written on every login), not in the user's history.

Django's own `update_last_login` saves the user, which would write an empty "changed"
version on every login. This receiver replaces it: `last_login` is still kept (password
reset tokens depend on it) but saved without a historical row, and the completeness
backstop ignores the column (`User.audit_backstop_ignored_fields`)."""

from django.contrib.auth import user_logged_in
from django.contrib.auth.models import update_last_login
from django.utils import timezone


def record_login(sender, user, **kwargs):
    user.last_login = timezone.now()
    user.skip_history_when_saving = True
    try:
        user.save(update_fields=["last_login"])
    finally:
        del user.skip_history_when_saving


def connect() -> None:
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(record_login, dispatch_uid="access_record_login")
