"""who am I (`me/`), API token login (`auth/token/`) and one's own tokens (`auth/tokens/`)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import StrictInputSerializer
from core.errors import DomainError, InvalidInput

from .selectors import active_assignments, sees_everything, tokens_of
from .services import token_issue, token_revoke


class ScopeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["all", "region", "federation", "organization"])
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    region_path = serializers.CharField(allow_null=True)


class RoleSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_display = serializers.CharField()
    scope = ScopeSerializer()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    sees_everything = serializers.BooleanField()
    roles = RoleSerializer(many=True)


class MeView(APIView):
    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request):
        user = request.user
        roles = [
            {
                "role": a.role,
                "role_display": a.get_role_display(),
                "scope": {
                    "kind": a.scope_kind,
                    "id": getattr(a.scope_object, "pk", None),
                    "name": a.scope_name,
                    "region_path": a.scope_path,
                },
            }
            for a in active_assignments(user)
        ]
        data = {
            "id": user.pk,
            "username": user.username,
            "name": user.display_name,
            "email": user.email,
            "sees_everything": sees_everything(user),
            "roles": roles,
        }
        return Response(MeSerializer(data).data)


class TokenInputSerializer(StrictInputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=_lazy("What the token is for (shown in the list of one's tokens)."),
    )


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_lazy("The key: shown this once, never again."))
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField(
        help_text=_lazy("Unless used before then: each use moves it on.")
    )


class LoginLocked(DomainError):
    status_code = 429
    code = "login_locked"


class TokenView(APIView):
    """Exchange a username and password for an API token. Failed logins are throttled."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        request=TokenInputSerializer, responses=TokenOutputSerializer, operation_id="auth_token"
    )
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes counts failures on the underlying HttpRequest.
        user = authenticate(request=request._request, **data.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise LoginLocked(_("Too many failed logins. Try again later."))
        if user is None or not user.is_active or user.is_service:
            raise InvalidInput(
                _("Wrong username or password."),
                code="invalid_credentials",
                fields={"password": [_("Wrong username or password.")]},
            )
        token, key = token_issue(user=user, name=data.validated_data.get("name", ""))
        return Response({"token": key, "id": token.pk, "expires_at": token.expires_at})


class ApiTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text=_lazy("The key's first characters."))
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    current = serializers.SerializerMethodField(
        help_text=_lazy("Whether this request authenticated with this token.")
    )

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return getattr(auth, "pk", None) == token.pk


class TokenListView(generics.ListAPIView):
    """My API tokens that still work (not revoked, not expired)."""

    serializer_class = ApiTokenSerializer
    filter_backends: list = []

    def get_queryset(self):
        return tokens_of(self.request.user)

    @extend_schema(operation_id="auth_tokens_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TokenDetailView(APIView):
    """Revoke one of my API tokens (another user's answers 404)."""

    @extend_schema(request=None, responses={204: None}, operation_id="auth_tokens_revoke")
    def delete(self, request, pk: int):
        token_revoke(actor=request.user, token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
