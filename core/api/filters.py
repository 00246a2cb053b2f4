"""Filter pieces shared by every app's API."""

import django_filters
from django import forms


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter (an id, a year). django-filter's NumberFilter, which it also
    generates for integer model fields, reads a decimal: `?owner_id=0.5` was accepted and
    matched nothing, though the schema says integer. This one answers 400 naming the field."""

    field_class = forms.IntegerField
