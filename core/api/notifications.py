"""The current user's notifications: GET /api/v1/notifications/ (?unread=true),
POST /api/v1/notifications/{id}/read/."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import Notification
from core.notifications import mark_read, notifications_for


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "message",
            "link",
            "obj_type",
            "obj_id",
            "created_at",
            "read_at",
            "is_read",
        ]


class _TrueFalseField(forms.NullBooleanField):
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(_("Give true or false."), code="invalid")

    def validate(self, value):
        pass


class _TrueFalseFilter(django_filters.BooleanFilter):
    field_class = _TrueFalseField


class NotificationFilter(django_filters.FilterSet):
    unread = _TrueFalseFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread (true) or read (false)"
    )

    class Meta:
        model = Notification
        fields = ["kind"]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Only one's own notifications, newest first."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return notifications_for(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        try:
            notification_id = int(pk)
        except (TypeError, ValueError):
            notification_id = 0
        if not 0 < notification_id < 2**63:
            notification_id = 0
        note = mark_read(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(note).data)
