"""Every write of crowdfunding: holders, campaigns, donations, refunds, receipts and
community charity funds, and the effects of their approvals.

The state machine of a campaign is declared once, in `TRANSITIONS`; the admin, the API and
the README list the same steps:

    draft ──submit──▶ submitted ──(approval engine)──▶ approved ──open──▶ open
    open ──close──▶ succeeded | failed (all-or-nothing under target: every donation refunded)
    draft | approved | open (nothing held) ──cancel──▶ cancelled
    submitted ──rejected──▶ rejected; ──returned / withdrawn──▶ draft

Money moves only through `ledger.services`: a donation is a transfer (kind `donation`)
from the donors' outside account of the fund's region into the fund's account, with the
caller's idempotency key; a refund reverses that transfer (the ledger's guard refuses it
when the money has been spent). Services check role and scope first: a finance officer
acts in its region subtree; what it may not see answers 404 (an id in the path) or 400
naming the field (an id in the body).

For the projects app (which sits above funds and is never imported here): a campaign's
money is restricted to its service category and, once designated, to one project:
`designate_project(campaign=..., project_ref="projects.project:42", actor=..., reason=...)`
stores the opaque reference; `campaigns_for_project(project_ref)` in the selectors reads
it back.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.models import Role
from access.permissions import require_role
from approvals.services import request_submit
from core import jobs
from core.audited import set_reason
from core.errors import Conflict, InvalidInput, NotFound
from core.services import validate
from core.uploads import checked_upload
from federations.models import Federation, Organization, Region
from ledger import services as ledger
from ledger.errors import Overdraft
from ledger.models import Account, AccountKind, TransferKind
from ledger.services import AccountScope

from .. import services as funds
from ..models import ApprovalState, FundingSource, PurchaseCategory, SourceKind
from ..selectors import in_officer_scope, regions_visible_to
from .models import (
    Campaign,
    CampaignState,
    CharityFund,
    CharityFundState,
    Donation,
    DonationState,
    Holder,
    HolderKind,
    Nature,
    OutcomeRule,
    Receipt,
    ReceiptCounter,
    ReceiptState,
)
from .selectors import (
    campaigns_visible_to,
    charity_funds_visible_to,
    donations_visible_to,
    holders_visible_to,
    raised,
    receipts_visible_to,
)

STEP_CAMPAIGN = "crowdfunding_campaign"
STEP_CHARITY_FUND = "community_charity_fund"
REFUND_JOB = "funds.campaign_refund"

# The campaign's state machine: (from states, to state, service), one table for every view.
TRANSITIONS = (
    (("draft",), "submitted", "campaign_submit", gettext_lazy("Submit for approval")),
    (("submitted",), "approved", "campaign_approved", gettext_lazy("Approved (approval engine)")),
    (("submitted",), "rejected", "campaign_rejected", gettext_lazy("Rejected (approval engine)")),
    (("submitted",), "draft", "campaign_returned", gettext_lazy("Returned or withdrawn")),
    (("approved",), "open", "campaign_open", gettext_lazy("Open for donations")),
    (("open",), "succeeded", "campaign_close", gettext_lazy("Close: target met")),
    (("open",), "failed", "campaign_close", gettext_lazy("Close: failed (refunded)")),
    (("draft", "approved", "open"), "cancelled", "campaign_cancel", gettext_lazy("Cancel")),
)  # fmt: skip


def allowed(from_state: str, service: str) -> bool:
    return any(from_state in src and svc == service for src, _to, svc, _l in TRANSITIONS)


def _expect(campaign: Campaign, service: str) -> None:
    if not allowed(campaign.state, service):
        raise Conflict(
            _("The campaign is %(state)s: this step is not possible now.")
            % {"state": campaign.get_state_display()},
            code="campaign_state",
            fields={"state": [campaign.state]},
        )


def _date(value, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise InvalidInput(fields={field: [_("A date.")]})
    return value


def _choice(value, field: str, choices) -> str:
    if value not in choices.values:
        raise InvalidInput(
            _("%(field)s: unknown value.") % {"field": field},
            fields={field: [_("One of: %(v)s.") % {"v": ", ".join(choices.values)}]},
        )
    return value


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(fields={field: [_("true or false.")]})
    return value


def _visible_one(queryset, value, *, field: str | None, message):
    """The row `value` of `queryset` (what the actor sees): 404 for an id in the path,
    400 naming the field for one in a body (as for an id that does not exist)."""
    if isinstance(value, queryset.model):
        value = value.pk
    found = None
    if isinstance(value, int) and not isinstance(value, bool):
        found = queryset.filter(pk=value).first()
    if found is None:
        if field:
            raise InvalidInput(message, code="unknown_object", fields={field: [message]})
        raise NotFound(message)
    return found


def _officer_over(actor, region: Region, *, field: str | None = None) -> None:
    if not in_officer_scope(actor, region):
        message = _("No such object in your scope.")
        if field:
            raise InvalidInput(message, code="unknown_object", fields={field: [message]})
        raise NotFound(message)


def _lock(model, pk: int):
    return model.objects.select_for_update().get(pk=pk)


def _outside_donors(actor, region: Region) -> Account:
    """The donors' outside account of a region (where donated money comes from): one per
    region, opened on first use."""
    code = f"donors:{region.code}"
    name = _("%(region)s donors") % {"region": region.name}
    try:
        with transaction.atomic():
            return ledger.open_account(
                actor=actor, kind=AccountKind.EXTERNAL, name=name, code=code,
                scope=AccountScope(region_path=region.path),
                reason=_("donors of %(region)s") % {"region": region.name},
            )  # fmt: skip
    except IntegrityError:  # opened at the same moment by another donation
        return Account.objects.get(code=code)


# --------------------------------------------------------------------------- holders


def holder_create(
    *, actor, kind: str, name: str, region, federation=None, organization=None,
    credit_code: str = "", receipt_qualification: str = "", fundraising_certificate: str = "",
    fundraising_authority: str = "", fundraising_valid_from=None, fundraising_valid_until=None,
    reason: str = "",
) -> Holder:  # fmt: skip
    """Record who may hold donated money: a charitable organization, a federation, or an
    organization with legal personality (a filed one without it is refused)."""
    require_role(actor, Role.FINANCE_OFFICER)
    kind = _choice(kind, "kind", HolderKind)
    region = _visible_one(regions_visible_to(actor), region, field="region",
                          message=_("No such region in your scope."))  # fmt: skip
    _officer_over(actor, region, field="region")
    holder = Holder(kind=kind, region=region, name=funds._text(name, "name", max_length=200))
    if kind == HolderKind.FEDERATION:
        fed = Federation.objects.filter(pk=getattr(federation, "pk", federation)).first()
        if fed is None or not in_officer_scope(actor, fed.township):
            raise InvalidInput(
                _("No such federation in your scope."), code="unknown_object",
                fields={"federation": [_("No such federation in your scope.")]},
            )  # fmt: skip
        holder.federation = fed
    elif kind == HolderKind.ORGANIZATION:
        org = Organization.objects.filter(pk=getattr(organization, "pk", organization)).first()
        if org is None or not in_officer_scope(actor, org.community):
            raise InvalidInput(
                _("No such organization in your scope."), code="unknown_object",
                fields={"organization": [_("No such organization in your scope.")]},
            )  # fmt: skip
        if not org.has_legal_personality:
            raise InvalidInput(
                _("%(org)s has no legal personality: it may not hold donated money (its "
                  "federation holds it in custody).") % {"org": org.name},
                code="holder_no_legal_personality",
                fields={"organization": [_("Filed, without legal personality.")]},
            )  # fmt: skip
        holder.organization = org
    holder.credit_code = funds._text(credit_code, "credit_code", max_length=18, required=False)
    holder.receipt_qualification = funds._text(
        receipt_qualification, "receipt_qualification", max_length=200, required=False
    )
    _apply_qualification(holder, fundraising_certificate, fundraising_authority,
                         fundraising_valid_from, fundraising_valid_until)  # fmt: skip
    with transaction.atomic():
        validate(holder)
        set_reason(holder, reason or _("fundraising holder recorded")).save()
    return holder


def _apply_qualification(holder, certificate, authority, valid_from, valid_until) -> None:
    holder.fundraising_certificate = funds._text(
        certificate, "fundraising_certificate", max_length=100, required=False
    )
    holder.fundraising_authority = funds._text(
        authority, "fundraising_authority", max_length=200, required=False
    )
    holder.fundraising_valid_from = (
        _date(valid_from, "fundraising_valid_from") if valid_from is not None else None
    )
    holder.fundraising_valid_until = (
        _date(valid_until, "fundraising_valid_until") if valid_until is not None else None
    )
    if holder.fundraising_certificate and holder.kind != HolderKind.CHARITY:
        raise InvalidInput(
            _("Only a charitable organization holds a public-fundraising qualification."),
            code="qualification_not_charity",
            fields={"fundraising_certificate": [_("Not a charitable organization.")]},
        )


def holder_update_qualification(
    *, actor, holder_id: int, fundraising_certificate: str, fundraising_authority: str,
    fundraising_valid_from, fundraising_valid_until, reason: str,
) -> Holder:  # fmt: skip
    """Record a renewed (or new) public-fundraising qualification of a charitable
    organization."""
    require_role(actor, Role.FINANCE_OFFICER)
    reason = funds._text(reason, "reason", max_length=500)
    with transaction.atomic():
        found = _visible_one(holders_visible_to(actor), holder_id, field=None,
                             message=_("No such holder."))  # fmt: skip
        _officer_over(actor, found.region)
        holder = _lock(Holder, found.pk)
        _apply_qualification(holder, fundraising_certificate, fundraising_authority,
                             fundraising_valid_from, fundraising_valid_until)  # fmt: skip
        validate(holder)
        set_reason(holder, reason).save()
    return holder


# --------------------------------------------------------------------------- campaigns

CAMPAIGN_FIELDS = ("title", "purpose", "target_amount", "starts_on", "ends_on", "outcome_rule",
                   "category")  # fmt: skip


def _apply_campaign_fields(campaign: Campaign, data: dict) -> None:
    unknown = set(data) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise InvalidInput(fields={k: [_("Unknown field.")] for k in sorted(unknown)})
    if "title" in data:
        campaign.title = funds._text(data["title"], "title", max_length=200)
    if "purpose" in data:
        campaign.purpose = funds._text(data["purpose"], "purpose", max_length=500)
    if "target_amount" in data:
        campaign.target_amount = funds.money(data["target_amount"], "target_amount")
    if "starts_on" in data:
        campaign.starts_on = _date(data["starts_on"], "starts_on")
    if "ends_on" in data:
        campaign.ends_on = _date(data["ends_on"], "ends_on")
    if "outcome_rule" in data:
        campaign.outcome_rule = _choice(data["outcome_rule"], "outcome_rule", OutcomeRule)
    if "category" in data:
        campaign.category = _choice(data["category"], "category", PurchaseCategory)
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise InvalidInput(
            _("A campaign ends on or after the day it starts."),
            code="campaign_dates",
            fields={"ends_on": [_("Before the start.")]},
        )


def campaign_create(
    *, actor, region, holder, title, purpose, target_amount, starts_on, ends_on,
    outcome_rule, category, reason: str = "",
) -> Campaign:  # fmt: skip
    """A draft campaign, with its funding source (kind crowdfunding, a draft too)."""
    require_role(actor, Role.FINANCE_OFFICER)
    campaign = Campaign(created_by=actor)
    _apply_campaign_fields(campaign, {
        "title": title, "purpose": purpose, "target_amount": target_amount,
        "starts_on": starts_on, "ends_on": ends_on, "outcome_rule": outcome_rule,
        "category": category,
    })  # fmt: skip
    with transaction.atomic():
        holder = _visible_one(holders_visible_to(actor), holder, field="holder",
                              message=_("No such holder in your scope."))  # fmt: skip
        if not holder.is_active:
            raise InvalidInput(
                _("Holder %(h)s is inactive.") % {"h": holder.name},
                code="holder_inactive", fields={"holder": [_("Inactive.")]},
            )  # fmt: skip
        source = funds.source_create(
            actor=actor, kind=SourceKind.CROWDFUNDING, fiscal_year=campaign.starts_on.year,
            region=getattr(region, "pk", region), name=campaign.title,
            appropriated_amount=campaign.target_amount, purpose=campaign.purpose,
            allowed_categories=[campaign.category], issuer=holder.name[:200],
            reason=reason or _("crowdfunding campaign drafted"),
        )  # fmt: skip
        campaign.source = source
        campaign.holder = holder
        validate(campaign)
        set_reason(campaign, reason or _("crowdfunding campaign drafted")).save()
    return campaign


def _campaign_for_write(actor, campaign_id) -> Campaign:
    found = _visible_one(campaigns_visible_to(actor), campaign_id, field=None,
                         message=_("No such campaign."))  # fmt: skip
    _officer_over(actor, found.source.region)
    return (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("source__region", "source__fiscal_year", "holder")
        .get(pk=found.pk)
    )


def campaign_update(*, actor, campaign_id: int, reason: str = "", **fields) -> Campaign:
    """Change a draft campaign (its source follows: name, amount, purpose, category)."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        campaign = _campaign_for_write(actor, campaign_id)
        if campaign.state != CampaignState.DRAFT:
            raise Conflict(_("Only a draft campaign is edited."), code="not_draft")
        _apply_campaign_fields(campaign, fields)
        if campaign.starts_on.year != campaign.source.fiscal_year.year:
            raise InvalidInput(
                _("The start stays in fiscal year %(y)s (the campaign's source).")
                % {"y": campaign.source.fiscal_year.year},
                code="campaign_year", fields={"starts_on": [_("Another fiscal year.")]},
            )  # fmt: skip
        funds.source_update(
            actor=actor, source_id=campaign.source_id, name=campaign.title,
            appropriated_amount=campaign.target_amount, purpose=campaign.purpose,
            allowed_categories=[campaign.category], reason=reason or _("campaign changed"),
        )  # fmt: skip
        validate(campaign)
        set_reason(campaign, reason or _("campaign changed")).save()
    return campaign


def campaign_submit(*, actor, campaign_id: int, reason: str = ""):
    """Submit a draft campaign to the approval engine (step `crowdfunding_campaign`)."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        campaign = _campaign_for_write(actor, campaign_id)
        _expect(campaign, "campaign_submit")
        source = _lock(FundingSource, campaign.source_id)
        if source.state != ApprovalState.DRAFT:
            raise Conflict(_("The campaign's source is not a draft."), code="not_draft")
        funds.open_year(source.fiscal_year.year)
        source.state = ApprovalState.SUBMITTED
        set_reason(source, reason or _("submitted for approval")).save()
        campaign.state = CampaignState.SUBMITTED
        set_reason(campaign, reason or _("submitted for approval")).save()
        return request_submit(
            actor=actor, kind=STEP_CAMPAIGN, owner_type="funds.campaign", owner_id=campaign.pk,
            amount=campaign.target_amount, region=campaign.source.region, reason=reason,
            created_by=campaign.created_by,
        )  # fmt: skip


def _decided(request, target: str, source_state: str, reason: str, *, approve=False, actor=None):
    campaign = _lock(Campaign, request.owner_id)
    if campaign.state != CampaignState.SUBMITTED:
        raise Conflict(_("The campaign is not waiting for approval."), code="not_submitted")
    source = FundingSource.objects.select_for_update().select_related(
        "region", "fiscal_year").get(pk=campaign.source_id)  # fmt: skip
    if approve:
        account = funds._open_source_account(actor, source)
        source.account = account
        source.money_tag = account
        source.approved_at = campaign.approved_at = timezone.now()
    source.state = source_state
    set_reason(source, reason).save()
    campaign.state = target
    set_reason(campaign, reason).save()


def campaign_approved(request, *, actor, reason: str = "") -> None:
    """Effect of the final approval: the campaign's source is approved with its ledger
    account (empty: donations fill it)."""
    _decided(request, CampaignState.APPROVED, ApprovalState.APPROVED, reason or _("approved"),
             approve=True, actor=actor)  # fmt: skip


def campaign_rejected(request, *, actor, reason: str = "") -> None:
    _decided(request, CampaignState.REJECTED, ApprovalState.REJECTED, reason or _("rejected"))


def campaign_returned(request, *, actor, reason: str = "") -> None:
    _decided(request, CampaignState.DRAFT, ApprovalState.DRAFT,
             reason or _("returned for changes"))  # fmt: skip


def campaign_open(*, actor, campaign_id: int, reason: str = "") -> Campaign:
    """Open an approved campaign for donations (not after its end date)."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        campaign = _campaign_for_write(actor, campaign_id)
        _expect(campaign, "campaign_open")
        if timezone.localdate() > campaign.ends_on:
            raise Conflict(
                _("The campaign ended on %(d)s: it is not opened any more.")
                % {"d": campaign.ends_on},
                code="campaign_ended", fields={"ends_on": [str(campaign.ends_on)]},
            )  # fmt: skip
        campaign.state = CampaignState.OPEN
        set_reason(campaign, reason or _("opened for donations")).save()
    return campaign


def campaign_close(*, actor, campaign_id: int, reason: str = "") -> Campaign:
    """Close an open campaign. All-or-nothing: succeeded when the donations reach the
    target, else failed and every donation refunded by a background job (its progress at
    /api/v1/jobs/{id}/). Keep-what-you-raise: succeeded when anything was raised."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        campaign = _campaign_for_write(actor, campaign_id)
        _expect(campaign, "campaign_close")
        total = raised(campaign)
        if campaign.outcome_rule == OutcomeRule.ALL_OR_NOTHING:
            succeeded = total >= campaign.target_amount
        else:
            succeeded = total > 0
        campaign.state = CampaignState.SUCCEEDED if succeeded else CampaignState.FAILED
        campaign.closed_at = timezone.now()
        note = _("closed with ¥%(r)s of ¥%(t)s") % {
            "r": f"{total:.2f}", "t": f"{campaign.target_amount:.2f}"}  # fmt: skip
        if not succeeded and campaign.outcome_rule == OutcomeRule.ALL_OR_NOTHING and total > 0:
            campaign.refund_job = jobs.start(
                kind=REFUND_JOB, owner=actor, params={"campaign_id": campaign.pk},
                reason=_("refunds of failed campaign #%(id)d") % {"id": campaign.pk},
            )  # fmt: skip
        set_reason(campaign, f"{reason or _('closed')}（{note}）").save()
    return campaign


def campaign_cancel(*, actor, campaign_id: int, reason: str) -> Campaign:
    """Cancel a campaign that holds no donation (one that holds money is closed instead:
    its donations are then refunded or kept by its outcome rule)."""
    require_role(actor, Role.FINANCE_OFFICER)
    reason = funds._text(reason, "reason", max_length=500)
    with transaction.atomic():
        campaign = _campaign_for_write(actor, campaign_id)
        _expect(campaign, "campaign_cancel")
        if raised(campaign) > 0:
            raise Conflict(
                _("The campaign holds donations: close it instead (its outcome rule decides "
                  "whether they are refunded)."),
                code="campaign_holds_money",
            )  # fmt: skip
        if campaign.source.state == ApprovalState.DRAFT:
            source = _lock(FundingSource, campaign.source_id)
            source.state = ApprovalState.REJECTED
            set_reason(source, reason).save()
        elif campaign.source.account_id:  # approved: its empty account takes nothing more
            ledger.close_account(actor=actor, account=campaign.source.account_id, reason=reason)
        campaign.state = CampaignState.CANCELLED
        campaign.closed_at = timezone.now()
        set_reason(campaign, reason).save()
    return campaign


def designate_project(*, campaign, project_ref: str, actor, reason: str) -> Campaign:
    """Restrict a campaign's money to one project. Called by the projects app (funds never
    imports projects): `project_ref` is an opaque reference such as "projects.project:42".
    Refused for a campaign that was cancelled, rejected or failed."""
    require_role(actor, Role.FINANCE_OFFICER)
    project_ref = funds._text(project_ref, "project_ref", max_length=100)
    reason = funds._text(reason, "reason", max_length=500)
    with transaction.atomic():
        campaign = _campaign_for_write(actor, getattr(campaign, "pk", campaign))
        if campaign.state in (CampaignState.CANCELLED, CampaignState.REJECTED,
                              CampaignState.FAILED):  # fmt: skip
            raise Conflict(
                _("The campaign is %(s)s: its money goes to no project.")
                % {"s": campaign.get_state_display()},
                code="campaign_state",
            )  # fmt: skip
        if campaign.project_ref and campaign.project_ref != project_ref:
            raise Conflict(
                _("The campaign is already restricted to project %(p)s.")
                % {"p": campaign.project_ref},
                code="project_already_designated",
                fields={"project_ref": [campaign.project_ref]},
            )  # fmt: skip
        campaign.project_ref = project_ref
        set_reason(campaign, reason).save()
    return campaign


# --------------------------------------------------------------------------- donations

DONATION_FIELDS = ("donor_type", "donor_name", "donor_identifier", "anonymous", "amount",
                   "channel", "channel_reference", "donated_on", "nature", "benefit")  # fmt: skip


def _donation_target(actor, campaign, fund):
    if (campaign is None) == (fund is None):
        raise InvalidInput(
            _("A donation goes to one campaign or one charity fund."),
            code="donation_target",
            fields={"campaign": [_("Name a campaign or a charity fund.")]},
        )
    if campaign is not None:
        target = _visible_one(campaigns_visible_to(actor), campaign, field="campaign",
                              message=_("No such campaign in your scope."))  # fmt: skip
        _officer_over(actor, target.source.region, field="campaign")
        return _lock(Campaign, target.pk), None
    target = _visible_one(charity_funds_visible_to(actor), fund, field="fund",
                          message=_("No such charity fund in your scope."))  # fmt: skip
    _officer_over(actor, target.source.region, field="fund")
    return None, _lock(CharityFund, target.pk)


def donation_record(
    *, actor, idempotency_key: str, campaign=None, fund=None, donor_type, amount, channel,
    donated_on, donor_name: str = "", donor_identifier: str = "", anonymous: bool = False,
    channel_reference: str = "", nature: str = Nature.DONATION, benefit: str = "",
    reason: str = "",
) -> Donation:  # fmt: skip
    """Record money given to an open campaign or an open charity fund: one ledger transfer
    from the region's donors into the fund's account. The same idempotency key with the
    same request answers the first donation (`replayed = True`) and books nothing again;
    with a different request it is refused (409)."""
    require_role(actor, Role.FINANCE_OFFICER)
    key = funds._text(idempotency_key, "idempotency_key", max_length=100)
    donation = Donation(
        donor_type=_choice(donor_type, "donor_type", Donation.DonorType),
        donor_name=funds._text(donor_name, "donor_name", max_length=200, required=False),
        donor_identifier=funds._text(donor_identifier, "donor_identifier", max_length=32,
                                     required=False),
        anonymous=_bool(anonymous, "anonymous"),
        amount=funds.money(amount),
        channel=_choice(channel, "channel", Donation.Channel),
        channel_reference=funds._text(channel_reference, "channel_reference", max_length=100,
                                      required=False),
        donated_on=_date(donated_on, "donated_on"),
        nature=_choice(nature, "nature", Nature),
        benefit=funds._text(benefit, "benefit", max_length=300, required=False),
        idempotency_key=key, recorded_by=actor,
    )  # fmt: skip
    if not donation.anonymous and not donation.donor_name:
        raise InvalidInput(_("A donor who is not anonymous gives a name."),
                           code="donor_name_required",
                           fields={"donor_name": [_("This field is required.")]})  # fmt: skip
    if donation.nature == Nature.SPONSORSHIP and not donation.benefit:
        raise InvalidInput(
            _("Sponsorship (赞助/摊派) names the benefit that returns to the payer."),
            code="benefit_required", fields={"benefit": [_("This field is required.")]},
        )  # fmt: skip
    if donation.channel != Donation.Channel.CASH and not donation.channel_reference:
        raise InvalidInput(
            _("A bank transfer or online payment names its reference (流水号)."),
            code="channel_reference_required",
            fields={"channel_reference": [_("This field is required.")]},
        )  # fmt: skip
    if donation.donated_on > timezone.localdate():
        raise InvalidInput(_("A donation is not recorded before it is made."),
                           code="donated_in_future",
                           fields={"donated_on": [_("In the future.")]})  # fmt: skip
    digest = ledger.request_hash(
        getattr(campaign, "pk", campaign), getattr(fund, "pk", fund),
        *(getattr(donation, f) for f in DONATION_FIELDS),
    )  # fmt: skip
    donation.request_hash = digest
    previous = _replay(key, digest)
    if previous is not None:
        return previous
    try:
        with transaction.atomic():
            return _book(actor, donation, campaign, fund, reason)
    except IntegrityError as exc:
        if "idempotency_key" not in str(exc):
            raise
        previous = _replay(key, digest)  # recorded at the same moment by a retry
        if previous is None:
            raise
        return previous


def _replay(key: str, digest: str) -> Donation | None:
    previous = Donation.objects.filter(idempotency_key=key).first()
    if previous is None:
        return None
    if previous.request_hash != digest:
        raise Conflict(
            _("This idempotency key was already used for a different donation."),
            code="idempotency_conflict",
            fields={"idempotency_key": [_("Used for a different request.")]},
        )
    previous.replayed = True
    return previous


def _book(actor, donation: Donation, campaign, fund, reason: str) -> Donation:
    campaign, fund = _donation_target(actor, campaign, fund)
    today = timezone.localdate()
    if campaign is not None:
        if not campaign.takes_donations:
            raise Conflict(
                _("Campaign %(c)s is %(s)s: it takes no donation.")
                % {"c": campaign.title, "s": campaign.get_state_display()},
                code="campaign_not_open", fields={"campaign": [campaign.state]},
            )  # fmt: skip
        if not campaign.starts_on <= donation.donated_on <= campaign.ends_on:
            raise InvalidInput(
                _("The campaign runs from %(a)s to %(b)s.")
                % {"a": campaign.starts_on, "b": campaign.ends_on},
                code="outside_campaign_dates",
                fields={"donated_on": [_("Outside the campaign's dates.")]},
            )  # fmt: skip
        donation.campaign, source_id, holder_id = campaign, campaign.source_id, campaign.holder_id
    else:
        if fund.state != CharityFundState.OPEN:
            raise Conflict(
                _("Charity fund %(f)s is %(s)s: it takes no donation.")
                % {"f": fund.name, "s": fund.get_state_display()},
                code="fund_not_open", fields={"fund": [fund.state]},
            )  # fmt: skip
        host = fund.host
        if not host.fundraising_valid_on(today):
            raise Conflict(
                _("The public-fundraising qualification of %(h)s is not valid today: the fund "
                  "takes no new donation.") % {"h": host.name},
                code="qualification_lapsed", fields={"fund": [_("Qualification lapsed.")]},
            )  # fmt: skip
        if fund.agreement_ends_on and fund.agreement_ends_on < today:
            raise Conflict(
                _("The cooperation agreement ended on %(d)s: the fund takes no new donation.")
                % {"d": fund.agreement_ends_on},
                code="agreement_lapsed", fields={"fund": [_("Agreement ended.")]},
            )  # fmt: skip
        donation.fund, source_id, holder_id = fund, fund.source_id, fund.host_id
    source = FundingSource.objects.select_related("region", "account").get(pk=source_id)
    donation.source, donation.holder_id = source, holder_id
    donors = _outside_donors(actor, source.region)
    how = donation.channel_reference or donation.get_channel_display()
    transfer = ledger.post_transfer(
        actor=actor, from_account=donors, to_account=source.account, amount=donation.amount,
        source_account=source.money_tag_id, kind=TransferKind.DONATION,
        memo=(_("Sponsorship") if donation.is_sponsorship else _("Donation"))
        + f"：{donation.public_name}（{how}）",
        idempotency_key=f"donation:{donation.idempotency_key}",
    )  # fmt: skip
    donation.transfer = transfer
    validate(donation, exclude={"transfer", "idempotency_key"})
    set_reason(donation, reason or _("donation recorded")).save()
    donation.replayed = False
    return donation


def _donation_for_write(actor, donation_id) -> Donation:
    found = _visible_one(donations_visible_to(actor), donation_id, field=None,
                         message=_("No such donation."))  # fmt: skip
    _officer_over(actor, found.source.region)
    return Donation.objects.select_for_update(of=("self",)).select_related(
        "transfer", "source", "holder").get(pk=found.pk)  # fmt: skip


class MoneySpent(Conflict):
    code = "donation_money_spent"


def donation_refund(*, actor, donation_id: int, reason: str) -> Donation:
    """Refund one donation: the reversing transfer of its ledger transfer, naming it. The
    ledger's guard refuses it when the fund no longer holds that money (spent or budgeted).
    The donation's receipt is voided. Refunding twice answers the refunded donation."""
    require_role(actor, Role.FINANCE_OFFICER)
    reason = funds._text(reason, "reason", max_length=500)
    with transaction.atomic():
        donation = _donation_for_write(actor, donation_id)
        return _refund(actor, donation, reason)


def _refund(actor, donation: Donation, reason: str) -> Donation:
    if donation.state == DonationState.REFUNDED:
        return donation
    try:
        reversal = ledger.reverse_transfer(
            actor=actor, transfer=donation.transfer,
            idempotency_key=f"donation:{donation.pk}:refund",
            memo=(_("Refund of donation #%(id)d: %(reason)s")
                  % {"id": donation.pk, "reason": reason})[:500],
        )  # fmt: skip
    except Overdraft as exc:
        raise MoneySpent(
            _("Donation #%(id)d is not refunded: the fund no longer holds that money "
              "(¥%(short)s of it is spent or budgeted).")
            % {"id": donation.pk, "short": f"{exc.shortfall:.2f}"},
            fields={"donation": [str(donation.pk)], "shortfall": [f"{exc.shortfall:.2f}"]},
        ) from exc  # fmt: skip
    donation.state = DonationState.REFUNDED
    donation.refund_transfer = reversal
    donation.refunded_at = timezone.now()
    donation.refund_reason = reason
    set_reason(donation, _("refunded: %(r)s") % {"r": reason}).save()
    for receipt in Receipt.objects.select_for_update().filter(
        donation=donation, state=ReceiptState.ISSUED
    ):
        _void(receipt, _("donation refunded: %(r)s") % {"r": reason})
    return donation


@jobs.handler(REFUND_JOB)
def refund_campaign_job(job, progress):
    """Refund every donation of a failed all-or-nothing campaign, one transaction each.
    Idempotent: a donation already refunded is skipped, so a redelivered or re-run job
    refunds nothing twice. One whose money is no longer there is reported, not hidden."""
    campaign = Campaign.objects.get(pk=job.params["campaign_id"])
    ids = list(
        Donation.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
    )
    progress(done=0, total=len(ids), force=True)
    refunded = already = 0  # result keys are counts, not states
    refused = []
    reason = _("campaign #%(id)d failed (all or nothing)") % {"id": campaign.pk}
    for i, pk in enumerate(ids, start=1):
        try:
            with transaction.atomic():
                donation = _lock(Donation, pk)
                if donation.state == DonationState.REFUNDED:
                    already += 1
                else:
                    _refund(job.owner, donation, reason)
                    refunded += 1
        except MoneySpent as exc:
            refused.append({"donation": pk, "detail": str(exc.detail)})
        progress(done=i)
    progress(done=len(ids), force=True)
    return {"campaign_id": campaign.pk, "refunded_count": refunded,
            "already_refunded_count": already, "refused": refused}  # fmt: skip


def refund_campaign_again(*, actor, campaign_id: int, reason: str = ""):
    """Start the refund job of a failed all-or-nothing campaign again (after one was
    refused, say): it refunds only what is not refunded yet."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        campaign = _campaign_for_write(actor, campaign_id)
        if not (campaign.state == CampaignState.FAILED
                and campaign.outcome_rule == OutcomeRule.ALL_OR_NOTHING):  # fmt: skip
            raise Conflict(_("Only a failed all-or-nothing campaign is refunded as a whole."),
                           code="campaign_state")  # fmt: skip
        campaign.refund_job = jobs.start(
            kind=REFUND_JOB, owner=actor, params={"campaign_id": campaign.pk},
            reason=reason or _("refunds of failed campaign #%(id)d") % {"id": campaign.pk},
        )  # fmt: skip
        set_reason(campaign, reason or _("refunds started again")).save()
    return campaign


# --------------------------------------------------------------------------- receipts


def _next_number(issuer_id: int, year: int) -> int:
    """The issuer's next number of the year, under the lock of its counter row (taken
    until the issuing transaction ends: a second issuer waits, then takes the next)."""
    counter = ReceiptCounter.objects.select_for_update().filter(
        issuer_id=issuer_id, year=year).first()  # fmt: skip
    if counter is None:
        try:
            with transaction.atomic():
                set_reason(ReceiptCounter(issuer_id=issuer_id, year=year), "counter").save()
        except IntegrityError:
            pass  # created at the same moment by another receipt
        counter = ReceiptCounter.objects.select_for_update().get(issuer_id=issuer_id, year=year)
    counter.last_number += 1
    set_reason(counter, _("receipt number taken")).save()
    return counter.last_number


def receipt_issue(*, actor, donation_id: int, reason: str = "") -> Receipt:
    """Issue the 公益事业捐赠票据 of a donation: only where its holder may issue receipts,
    never for sponsorship or a refunded donation, once per donation (a voided one may be
    replaced). Numbered per issuer and year, without gaps or duplicates."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        donation = _donation_for_write(actor, donation_id)
        holder = donation.holder
        if donation.is_sponsorship:
            raise InvalidInput(
                _("Sponsorship or a payment with a benefit back to the payer (赞助/摊派) is "
                  "not a donation: it gets no donation receipt."),
                code="receipt_for_sponsorship", fields={"donation": [_("Sponsorship.")]},
            )  # fmt: skip
        if not holder.may_issue_receipts:
            raise InvalidInput(
                _("%(h)s may not issue donation receipts: only a charitable organization or a "
                  "holder with that qualification recorded does.") % {"h": holder.name},
                code="issuer_not_qualified", fields={"donation": [_("Holder not qualified.")]},
            )  # fmt: skip
        if donation.state == DonationState.REFUNDED:
            raise Conflict(_("A refunded donation gets no receipt."), code="donation_refunded",
                           fields={"donation": [_("Refunded.")]})  # fmt: skip
        if donation.anonymous and not donation.donor_name:
            raise InvalidInput(
                _("An anonymous donation without a name gets no receipt."),
                code="receipt_needs_name", fields={"donation": [_("No donor name.")]},
            )  # fmt: skip
        existing = Receipt.objects.filter(donation=donation, state=ReceiptState.ISSUED).first()
        if existing is not None:
            raise Conflict(
                _("Donation #%(id)d already has receipt %(n)s.")
                % {"id": donation.pk, "n": existing.display_number},
                code="receipt_exists", fields={"donation": [existing.display_number]},
            )  # fmt: skip
        now = timezone.now()
        year = timezone.localtime(now).year
        receipt = Receipt(
            issuer=holder, year=year, number=_next_number(holder.pk, year), donation=donation,
            amount=donation.amount, donor_name=donation.donor_name,
            donor_identifier=donation.donor_identifier, issued_at=now, issued_by=actor,
        )  # fmt: skip
        validate(receipt, exclude={"issuer", "year", "number", "donation"})
        set_reason(receipt, reason or _("receipt issued")).save()
    return receipt


def _void(receipt: Receipt, reason: str) -> Receipt:
    receipt.state = ReceiptState.VOID
    receipt.voided_at = timezone.now()
    receipt.void_reason = reason[:500]
    set_reason(receipt, reason).save()
    return receipt


def receipt_void(*, actor, receipt_id: int, reason: str) -> Receipt:
    """Void a receipt: it keeps its number and shows as void (voiding twice answers it)."""
    require_role(actor, Role.FINANCE_OFFICER)
    reason = funds._text(reason, "reason", max_length=500)
    with transaction.atomic():
        found = _visible_one(receipts_visible_to(actor), receipt_id, field=None,
                             message=_("No such receipt."))  # fmt: skip
        _officer_over(actor, found.donation.source.region)
        receipt = _lock(Receipt, found.pk)
        if receipt.state == ReceiptState.VOID:
            return receipt
        return _void(receipt, reason)


# --------------------------------------------------------------------------- charity funds


def charity_fund_create(
    *, actor, region, host, name, expected_amount, purpose: str = "",
    agreement_number: str = "", agreement_signed_on=None, agreement_starts_on=None,
    agreement_ends_on=None, reason: str = "",
) -> CharityFund:  # fmt: skip
    """A community charity fund as a draft: hosted by a charitable organization (its
    public-fundraising qualification is checked when the fund is submitted and at each
    donation), in a community."""
    require_role(actor, Role.FINANCE_OFFICER)
    fund = CharityFund(
        created_by=actor,
        name=funds._text(name, "name", max_length=200),
        purpose=funds._text(purpose, "purpose", max_length=500, required=False),
    )
    _apply_agreement(fund, agreement_number, agreement_signed_on, agreement_starts_on,
                     agreement_ends_on)  # fmt: skip
    with transaction.atomic():
        host = _visible_one(holders_visible_to(actor), host, field="host",
                            message=_("No such holder in your scope."))  # fmt: skip
        if host.kind != HolderKind.CHARITY or not host.fundraising_certificate:
            raise InvalidInput(
                _("%(h)s is not a charitable organization with a public-fundraising "
                  "qualification: it hosts no community charity fund.") % {"h": host.name},
                code="host_not_qualified",
                fields={"host": [_("No public-fundraising qualification.")]},
            )  # fmt: skip
        source = funds.source_create(
            actor=actor, kind=SourceKind.COMMUNITY_CHARITY_FUND,
            fiscal_year=timezone.localdate().year, region=getattr(region, "pk", region),
            name=fund.name, appropriated_amount=expected_amount, purpose=fund.purpose,
            issuer=host.name[:200], charity_only=True,
            reason=reason or _("community charity fund drafted"),
        )  # fmt: skip
        fund.source, fund.host = source, host
        validate(fund)
        set_reason(fund, reason or _("community charity fund drafted")).save()
    return fund


def _apply_agreement(fund, number, signed_on, starts_on, ends_on) -> None:
    fund.agreement_number = funds._text(number, "agreement_number", max_length=100,
                                        required=False)  # fmt: skip
    for field, value in (
        ("agreement_signed_on", signed_on),
        ("agreement_starts_on", starts_on),
        ("agreement_ends_on", ends_on),
    ):
        setattr(fund, field, _date(value, field) if value is not None else None)
    if fund.agreement_starts_on and fund.agreement_ends_on:
        if fund.agreement_ends_on < fund.agreement_starts_on:
            raise InvalidInput(
                _("The agreement ends on or after it starts."),
                code="agreement_dates",
                fields={"agreement_ends_on": [_("Before the start.")]},
            )


def _fund_for_write(actor, fund_id) -> CharityFund:
    found = _visible_one(charity_funds_visible_to(actor), fund_id, field=None,
                         message=_("No such charity fund."))  # fmt: skip
    _officer_over(actor, found.source.region)
    return CharityFund.objects.select_for_update(of=("self",)).select_related(
        "source__region", "source__fiscal_year", "host").get(pk=found.pk)  # fmt: skip


def charity_fund_update_agreement(
    *, actor, fund_id: int, agreement_number: str, agreement_signed_on, agreement_starts_on,
    agreement_ends_on, reason: str = "",
) -> CharityFund:  # fmt: skip
    """Record the cooperation agreement's number and dates (a renewal of an open fund too)."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        fund = _fund_for_write(actor, fund_id)
        _apply_agreement(fund, agreement_number, agreement_signed_on, agreement_starts_on,
                         agreement_ends_on)  # fmt: skip
        validate(fund)
        set_reason(fund, reason or _("cooperation agreement recorded")).save()
    return fund


def charity_fund_upload_agreement(
    *, actor, fund_id: int, filename: str, content: bytes, reason: str = ""
) -> CharityFund:
    """Attach the agreement's scan: a PDF or an image (PNG, JPEG), within the upload limit,
    its type read from its content and matching its extension (core/uploads.py); stored
    privately, served only to those who see the fund."""
    require_role(actor, Role.FINANCE_OFFICER)
    upload = ContentFile(bytes(content or b""), name=str(filename or ""))
    checked = checked_upload(upload, field="file", name_must_agree=True)
    with transaction.atomic():
        fund = _fund_for_write(actor, fund_id)
        fund.agreement_scan.save(checked.file.name, checked.file, save=False)
        fund.agreement_scan_type = checked.content_type
        set_reason(fund, reason or _("agreement scan uploaded")).save()
    return fund


def _check_fund_may_open(fund: CharityFund) -> None:
    today = timezone.localdate()
    host = Holder.objects.get(pk=fund.host_id)
    if not host.fundraising_valid_on(today):
        raise Conflict(
            _("%(h)s has no valid public-fundraising qualification today: the fund does not "
              "open.") % {"h": host.name},
            code="qualification_invalid", fields={"host": [_("No valid qualification.")]},
        )  # fmt: skip
    missing = [f for f in ("agreement_number", "agreement_starts_on", "agreement_ends_on",
                           "agreement_scan") if not getattr(fund, f)]  # fmt: skip
    if missing:
        raise Conflict(
            _("The cooperation agreement with the community is incomplete: the fund does not "
              "open."),
            code="agreement_missing", fields={f: [_("Required to open.")] for f in missing},
        )  # fmt: skip
    if not fund.agreement_starts_on <= today <= fund.agreement_ends_on:
        raise Conflict(
            _("The cooperation agreement is not in force today (%(a)s to %(b)s).")
            % {"a": fund.agreement_starts_on, "b": fund.agreement_ends_on},
            code="agreement_not_in_force",
            fields={"agreement_ends_on": [_("Not in force today.")]},
        )  # fmt: skip


def charity_fund_submit(*, actor, fund_id: int, reason: str = ""):
    """Submit a draft fund for approval: refused without a valid qualification and a
    complete agreement in force."""
    require_role(actor, Role.FINANCE_OFFICER)
    with transaction.atomic():
        fund = _fund_for_write(actor, fund_id)
        if fund.state != CharityFundState.DRAFT:
            raise Conflict(_("Only a draft fund is submitted."), code="not_draft")
        _check_fund_may_open(fund)
        source = _lock(FundingSource, fund.source_id)
        source.state = ApprovalState.SUBMITTED
        set_reason(source, reason or _("submitted for approval")).save()
        fund.state = CharityFundState.SUBMITTED
        set_reason(fund, reason or _("submitted for approval")).save()
        return request_submit(
            actor=actor, kind=STEP_CHARITY_FUND, owner_type="funds.charityfund",
            owner_id=fund.pk, amount=fund.source.appropriated_amount,
            region=fund.source.region, reason=reason, created_by=fund.created_by,
        )  # fmt: skip


def _fund_decided(request, target, source_state, reason, *, actor=None, approve=False):
    fund = _lock(CharityFund, request.owner_id)
    if fund.state != CharityFundState.SUBMITTED:
        raise Conflict(_("The fund is not waiting for approval."), code="not_submitted")
    source = FundingSource.objects.select_for_update().select_related(
        "region", "fiscal_year").get(pk=fund.source_id)  # fmt: skip
    if approve:
        _check_fund_may_open(fund)  # the qualification may have lapsed meanwhile
        account = funds._open_source_account(actor, source)
        source.account = source.money_tag = account
        source.approved_at = fund.opened_at = timezone.now()
    source.state = source_state
    set_reason(source, reason).save()
    fund.state = target
    set_reason(fund, reason).save()


def charity_fund_approved(request, *, actor, reason: str = "") -> None:
    _fund_decided(request, CharityFundState.OPEN, ApprovalState.APPROVED,
                  reason or _("approved"), actor=actor, approve=True)  # fmt: skip


def charity_fund_rejected(request, *, actor, reason: str = "") -> None:
    _fund_decided(request, CharityFundState.REJECTED, ApprovalState.REJECTED,
                  reason or _("rejected"))  # fmt: skip


def charity_fund_returned(request, *, actor, reason: str = "") -> None:
    _fund_decided(request, CharityFundState.DRAFT, ApprovalState.DRAFT,
                  reason or _("returned for changes"))  # fmt: skip


ZERO = Decimal("0.00")
