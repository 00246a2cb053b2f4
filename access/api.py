"""who am I (`me/`) and API token login (`auth/token/`)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import StrictInputSerializer
from core.errors import DomainError, InvalidInput

from .selectors import active_assignments, sees_everything


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


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


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
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
