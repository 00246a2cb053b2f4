"""Crowdfunding campaigns raised for a project (policy 四(二): social crowdfunding for a
community's need). Funds keeps only an opaque reference on the campaign (funds never imports
projects); this module is the projects side: designate a campaign for a project, and read a
project's campaigns. The campaign's money stays its own funding source: it reaches the project
through a budget line and an allocation like any other source, and only once the campaign has
succeeded (funds' rule for all-or-nothing campaigns)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from access.models import Role
from access.permissions import require_role
from core.errors import Conflict, InvalidInput, NotFound
from funds.campaigns import services as crowd
from funds.campaigns.models import Campaign
from funds.campaigns.selectors import campaigns_for_project, campaigns_visible_to, with_totals

from .models import Project, ProjectState
from .selectors import projects_visible_to

# A project that is over takes no new money.
ENDED = (ProjectState.CANCELLED, ProjectState.TERMINATED, ProjectState.CLOSED)


def project_ref(project: Project) -> str:
    return f"projects.project:{project.pk}"


def project_campaigns(project: Project) -> QuerySet:
    """The campaigns designated for `project`, with what each has raised."""
    return with_totals(
        campaigns_for_project(project_ref(project)).select_related("source__region", "holder")
    ).order_by("id")


def _same_branch(a, b) -> bool:
    """One region contains the other (a community's campaign for its township's project, or
    a county's campaign for a township's project)."""
    return a.path.startswith(b.path) or b.path.startswith(a.path)


def campaign_designate(*, actor, project_id, campaign_id, reason: str = "") -> Campaign:
    """Restrict a campaign's money to a project the actor sees: the campaign must be in the
    actor's scope (else 400 naming `campaign`, as for one that does not exist), raised on the
    project's branch of the region tree and for its category, and the project not over."""
    project = projects_visible_to(actor).select_related("purchaser").filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."))
    require_role(actor, Role.FINANCE_OFFICER)
    unknown = _("No such campaign in your scope.")
    if not str(campaign_id).isdigit():
        raise InvalidInput(unknown, code="unknown", fields={"campaign": [unknown]})
    campaign = campaigns_visible_to(actor).filter(pk=int(campaign_id)).first()
    if campaign is None:
        raise InvalidInput(unknown, code="unknown", fields={"campaign": [unknown]})
    if project.state in ENDED:
        raise Conflict(
            _("The project is %(state)s: it takes no new money.")
            % {"state": project.get_state_display()},
            code="project_state",
        )
    if not _same_branch(campaign.source.region, project.purchaser):
        message = _("The campaign was raised in %(campaign)s, outside %(purchaser)s.") % {
            "campaign": campaign.source.region.name,
            "purchaser": project.purchaser.name,
        }
        raise InvalidInput(message, code="campaign_region_mismatch", fields={"campaign": [message]})
    if campaign.category and campaign.category != project.category:
        message = _("The campaign is for %(campaign)s, the project for %(project)s.") % {
            "campaign": campaign.get_category_display(),
            "project": project.get_category_display(),
        }
        raise InvalidInput(
            message, code="campaign_category_mismatch", fields={"campaign": [message]}
        )
    return crowd.designate_project(
        campaign=campaign,
        project_ref=project_ref(project),
        actor=actor,
        reason=reason or _("raised for project #%(id)d") % {"id": project.pk},
    )
