"""API token authentication: `Authorization: Token <key>`, against access.ApiToken.

DRF's own tokens (rest_framework.authtoken) never expired and survived a password change.
These expire after settings.API_TOKEN_IDLE_DAYS without use, and a password change or a
deactivation revokes them (access.models.User.save).
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import ApiToken, token_digest
from .services import token_touch


class TokenAuthentication(authentication.TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key):
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(key), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."), code="invalid_token")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        now = timezone.now()
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed(
                _("The token has expired: log in again."), code="token_expired"
            )
        token_touch(token=token, now=now)
        return token.user, token
