"""Regions API (read-only): the tree that every scope hangs from."""

import django_filters
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets

from .models import Region
from .selectors import regions_visible_to


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    area_type_display = serializers.CharField(source="get_area_type_display", read_only=True)

    class Meta:
        model = Region
        fields = [
            "id",
            "code",
            "name",
            "level",
            "level_display",
            "area_type",
            "area_type_display",
            "parent",
            "path",
        ]


class RegionFilter(django_filters.FilterSet):
    within = django_filters.NumberFilter(
        method="filter_within", label="Within the subtree of this region (id)"
    )
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Region
        fields = ["level", "area_type", "parent", "code"]

    def filter_within(self, queryset, name, value):
        path = Region.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            raise serializers.ValidationError({name: [_("No region with this id.")]})
        return queryset.filter(path__startswith=path)


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    ordering_fields = ["path", "name", "code", "level"]
    ordering = ["path"]

    def get_queryset(self):
        return regions_visible_to(self.request.user)
