"""Regions (city → county → township → community), organizations and federations."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.base import AuditedModel


class Region(AuditedModel):
    class Level(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("County or district")
        TOWNSHIP = "township", _("Township or street")
        COMMUNITY = "community", _("Community or village")

    class AreaType(models.TextChoices):
        URBAN = "urban", _("Urban community")
        RURAL = "rural", _("Rural village")

    # The level each level's parent must have.
    PARENT_LEVEL = {
        Level.COUNTY: Level.CITY,
        Level.TOWNSHIP: Level.COUNTY,
        Level.COMMUNITY: Level.TOWNSHIP,
    }

    code = models.CharField(
        _("division code"),
        max_length=12,
        unique=True,
        help_text=_("Administrative division code, digits only."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    area_type = models.CharField(
        _("urban or rural"), max_length=8, choices=AreaType.choices, blank=True, default=""
    )
    # Materialized path of division codes ("/370500/370502/"), so a subtree is one
    # indexed prefix query whatever its depth.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "area_type"], name="region_level_area"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="city", parent__isnull=True)
                | (~Q(level="city") & Q(parent__isnull=False)),
                name="region_only_city_is_root",
                violation_error_message=_("Only a city has no parent region."),
            ),
            models.CheckConstraint(
                condition=Q(level="community", area_type__in=["urban", "rural"])
                | (~Q(level="community") & Q(area_type="")),
                name="region_area_type_for_communities",
                violation_error_message=_(
                    "A community is urban or rural; other levels are neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6,12}$"),
                name="region_code_digits",
                violation_error_message=_("A division code has 6 to 12 digits."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        expected = self.PARENT_LEVEL.get(self.level)
        if expected and self.parent_id and self.parent.level != expected:
            raise ValidationError(
                {
                    "parent": _("The parent of a %(level)s must be a %(parent)s.")
                    % {"level": self.get_level_display(), "parent": self.Level(expected).label}
                }
            )
        if self.pk:
            old = Region.objects.filter(pk=self.pk).values_list("parent_id", "code").first()
            if old and old != (self.parent_id, self.code):
                raise ValidationError(
                    _("A region's parent and code never change; create a new region instead.")
                )

    def save(self, *args, **kwargs):
        # The path is derived from the (immutable) parent and code.
        self.path = f"{self.parent.path if self.parent_id else '/'}{self.code}/"
        super().save(*args, **kwargs)

    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.split("/") if c]


class Organization(AuditedModel):
    """A community social organization (社区社会组织)."""

    name = models.CharField(_("name"), max_length=200)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="organizations",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )

    class Meta:
        verbose_name = _("community social organization")
        verbose_name_plural = _("community social organizations")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Federation(AuditedModel):
    """A township's federation of community social organizations (联合会 or 服务中心)."""

    name = models.CharField(_("name"), max_length=200)
    township = models.ForeignKey(
        Region,
        verbose_name=_("township served"),
        on_delete=models.PROTECT,
        related_name="federations",
        limit_choices_to={"level": Region.Level.TOWNSHIP},
    )

    class Meta:
        verbose_name = _("federation")
        verbose_name_plural = _("federations")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name
