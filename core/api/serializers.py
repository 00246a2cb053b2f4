"""Serializer pieces shared by every app's API."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.money import MAX_AMOUNT


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, instead of ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = set(self.fields)
            unknown = sorted(str(k) for k in data if k not in known)
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class MoneyField(serializers.DecimalField):
    """Yuan with two decimals, as a string; positive unless allow_zero; at most
    core.money.MAX_AMOUNT (so no balance can overflow its column, see core/money.py)."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.00") if allow_zero else Decimal("0.01"))
        kwargs.setdefault("max_value", MAX_AMOUNT)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)


class ReasonField(serializers.CharField):
    """The reason a workflow step records in the history."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("help_text", _("Why: recorded in the change history."))
        super().__init__(**kwargs)
