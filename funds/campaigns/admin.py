"""The crowdfunding admin (Chinese by default): holders, campaigns, donations, receipts and
community charity funds, scoped like the API, written through the same services, with the
campaign steps as actions, the printable receipt and the donor's year-end statement."""

import uuid

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.selectors import has_role, sees_everything
from core import uploads
from core.uploads import serve_private

from ..admin import ServiceAdmin
from ..models import PurchaseCategory
from ..selectors import READER_ROLES, regions_visible_to
from . import services
from .documents import receipt_pdf, statement_csv, statement_pdf
from .models import Campaign, CharityFund, Donation, Holder, Receipt
from .selectors import (
    campaigns_visible_to,
    charity_funds_visible_to,
    donations_visible_to,
    donor_statement,
    holders_visible_to,
    receipts_visible_to,
    with_totals,
)

QUALIFICATION = ["fundraising_certificate", "fundraising_authority", "fundraising_valid_from",
                 "fundraising_valid_until"]  # fmt: skip


@admin.register(Holder)
class HolderAdmin(ServiceAdmin):
    selector = staticmethod(holders_visible_to)
    list_display = ["name", "kind", "region", "may_issue", "fundraising_certificate",
                    "fundraising_valid_until", "is_active"]  # fmt: skip
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code", "fundraising_certificate"]
    list_select_related = ["region"]
    fields = ["name", "kind", "region", "federation", "organization", "credit_code",
              "receipt_qualification", *QUALIFICATION, "is_active"]  # fmt: skip
    readonly_fields = ["is_active"]

    def get_readonly_fields(self, request, obj=None):
        if obj:
            return [*self.readonly_fields, "name", "kind", "region", "federation",
                    "organization", "credit_code", "receipt_qualification"]  # fmt: skip
        return self.readonly_fields

    @admin.display(description=_("may issue receipts"), boolean=True)
    def may_issue(self, obj):
        return obj.may_issue_receipts

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data.get(f) for f in QUALIFICATION}
        for f in ("fundraising_certificate", "fundraising_authority"):
            data[f] = data[f] or ""
        if change:
            services.holder_update_qualification(
                actor=request.user, holder_id=obj.pk, reason=self.reason(form)
                or gettext("qualification changed in the admin"), **data,
            )  # fmt: skip
            return
        created = services.holder_create(
            actor=request.user, kind=obj.kind, name=obj.name, region=obj.region_id,
            federation=obj.federation_id, organization=obj.organization_id,
            credit_code=obj.credit_code, receipt_qualification=obj.receipt_qualification,
            reason=self.reason(form), **data,
        )  # fmt: skip
        obj.pk = created.pk
        obj.refresh_from_db()


class CampaignForm(forms.ModelForm):
    region = forms.ModelChoiceField(queryset=None, label=_("region"))
    category = forms.ChoiceField(choices=PurchaseCategory.choices, label=_("service category"))

    class Meta:
        model = Campaign
        fields = ["title", "purpose", "holder", "target_amount", "starts_on", "ends_on",
                  "outcome_rule", "category"]  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "region" in self.fields:
            self.fields["region"].queryset = regions_visible_to(user).exclude(level="city")
            if self.instance.pk:
                self.fields["region"].initial = self.instance.source.region_id
                self.fields["region"].disabled = True
        if "holder" in self.fields:
            self.fields["holder"].queryset = holders_visible_to(user)


@admin.register(Campaign)
class CampaignAdmin(ServiceAdmin):
    selector = staticmethod(lambda user: with_totals(campaigns_visible_to(user)))
    form = CampaignForm
    list_display = ["title", "holder", "region_name", "target_amount", "raised_display",
                    "donation_count_display", "state"]  # fmt: skip
    list_filter = ["state", "outcome_rule", "category"]
    search_fields = ["title", "holder__name"]
    readonly_fields = ["state", "source", "project_ref", "refund_job_link", "approved_at",
                       "closed_at"]  # fmt: skip
    actions = ["submit", "open_campaigns", "close_campaigns", "cancel_campaigns"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return WithUser

    def get_fieldsets(self, request, obj=None):
        region = "region" if self.has_change_permission(request, obj) else "region_name"
        main = ["title", "purpose", region, "holder", "target_amount", "starts_on",
                "ends_on", "outcome_rule", "category"]  # fmt: skip
        return [(None, {"fields": main}),
                (_("state"), {"fields": self.readonly_fields})]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if not self.has_change_permission(request, obj):
            return [*self.readonly_fields, "region_name"]
        if obj and obj.state != "draft":
            return [*self.readonly_fields, "title", "purpose", "holder", "target_amount",
                    "starts_on", "ends_on", "outcome_rule", "category"]  # fmt: skip
        return self.readonly_fields

    @admin.display(description=_("region"))
    def region_name(self, obj):
        return obj.source.region.name

    @admin.display(description=_("raised (CNY)"))
    def raised_display(self, obj):
        return f"{getattr(obj, 'raised', 0):.2f}"

    @admin.display(description=_("number of donations"))
    def donation_count_display(self, obj):
        return getattr(obj, "donation_count", 0)

    @admin.display(description=_("refund job"))
    def refund_job_link(self, obj):
        if not obj.refund_job_id:
            return "—"
        job = obj.refund_job
        return f"{job.get_status_display()} {job.done}/{job.total or 0}"

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.CAMPAIGN_FIELDS
                if f in form.cleaned_data}  # fmt: skip
        if change:
            services.campaign_update(actor=request.user, campaign_id=obj.pk,
                                     reason=self.reason(form), **data)  # fmt: skip
            return
        created = services.campaign_create(
            actor=request.user, region=form.cleaned_data["region"].pk,
            holder=form.cleaned_data["holder"].pk, reason=self.reason(form), **data,
        )  # fmt: skip
        obj.pk = created.pk
        obj.refresh_from_db()

    def _step(self, request, queryset, call, message):
        self._each(request, queryset, lambda c: call(actor=request.user, campaign_id=c.pk),
                   message)  # fmt: skip

    @admin.action(description=_("Submit the selected drafts for approval"))
    def submit(self, request, queryset):
        self._step(request, queryset, services.campaign_submit,
                   gettext("%(n)d submitted for approval."))  # fmt: skip

    @admin.action(description=_("Open the selected campaigns for donations"))
    def open_campaigns(self, request, queryset):
        self._step(request, queryset, services.campaign_open, gettext("%(n)d opened."))

    @admin.action(description=_("Close the selected campaigns (by their outcome rule)"))
    def close_campaigns(self, request, queryset):
        self._step(request, queryset, services.campaign_close, gettext("%(n)d closed."))

    @admin.action(description=_("Cancel the selected campaigns"))
    def cancel_campaigns(self, request, queryset):
        self._each(request, queryset, lambda c: services.campaign_cancel(
            actor=request.user, campaign_id=c.pk, reason=gettext("cancelled in the admin")),
            gettext("%(n)d cancelled."))  # fmt: skip


class DonationForm(forms.ModelForm):
    # Generated when the form is shown: submitting it twice records the donation once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    class Meta:
        model = Donation
        fields = ["campaign", "fund", "donor_type", "donor_name", "donor_identifier",
                  "anonymous", "amount", "channel", "channel_reference", "donated_on",
                  "nature", "benefit"]  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "request_key" in self.fields and not self.is_bound:
            self.fields["request_key"].initial = f"admin-{uuid.uuid4().hex}"
        if "campaign" in self.fields:
            self.fields["campaign"].queryset = campaigns_visible_to(user).filter(state="open")
        if "fund" in self.fields:
            self.fields["fund"].queryset = charity_funds_visible_to(user).filter(state="open")


class StatementForm(forms.Form):
    donor_name = forms.CharField(label=_("donor name"), max_length=200)
    donor_identifier = forms.CharField(label=_("donor identifier"), max_length=32,
                                       required=False)  # fmt: skip
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    file_type = forms.ChoiceField(label=_("format"), required=False,
                                  choices=[("", _("show here")), ("pdf", "PDF"),
                                           ("csv", "CSV")])  # fmt: skip


def _may_read_statement(user) -> bool:
    return sees_everything(user) or has_role(user, *READER_ROLES)


@admin.register(Donation)
class DonationAdmin(ServiceAdmin):
    selector = staticmethod(donations_visible_to)
    form = DonationForm
    list_display = ["id", "donated_on", "target", "donor_type", "donor_name", "anonymous",
                    "amount", "channel", "nature", "state"]  # fmt: skip
    list_filter = ["state", "nature", "donor_type", "channel"]
    search_fields = ["donor_name", "donor_identifier", "channel_reference"]
    readonly_fields = ["state", "holder", "source", "transfer", "refund_transfer",
                       "refunded_at", "refund_reason", "recorded_by", "recorded_at"]  # fmt: skip
    actions = ["issue_receipts", "refund"]
    change_list_template = "admin/funds/donation/change_list.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return WithUser

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*DonationForm.Meta.fields, "request_key"]
        return [*DonationForm.Meta.fields, *self.readonly_fields]

    @admin.display(description=_("campaign or fund"))
    def target(self, obj):
        return obj.campaign.title if obj.campaign_id else obj.fund.name

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        data.pop("change_reason", None)
        campaign, fund = data.pop("campaign", None), data.pop("fund", None)
        data["idempotency_key"] = data.pop("request_key")
        created = services.donation_record(
            actor=request.user, campaign=campaign.pk if campaign else None,
            fund=fund.pk if fund else None, reason=self.reason(form), **data,
        )  # fmt: skip
        obj.pk = created.pk
        obj.refresh_from_db()

    @admin.action(description=_("Issue receipts for the selected donations"))
    def issue_receipts(self, request, queryset):
        self._each(request, queryset,
                   lambda d: services.receipt_issue(actor=request.user, donation_id=d.pk),
                   gettext("%(n)d receipt(s) issued."))  # fmt: skip

    @admin.action(description=_("Refund the selected donations"))
    def refund(self, request, queryset):
        self._each(request, queryset, lambda d: services.donation_refund(
            actor=request.user, donation_id=d.pk, reason=gettext("refunded in the admin")),
            gettext("%(n)d refunded."))  # fmt: skip

    def changelist_view(self, request, extra_context=None):
        extra = {"may_read_statement": _may_read_statement(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self):
        view = self.admin_site.admin_view(self.statement_view)
        return [path("statement/", view, name="funds_donation_statement"), *super().get_urls()]

    def statement_view(self, request):
        """捐赠人年度对账单: a donor's donations of a year, on the page, as PDF or as CSV."""
        user = request.user
        if not _may_read_statement(user):
            raise PermissionDenied
        form = StatementForm(request.GET or None)
        rows = None
        if form.is_bound and form.is_valid():
            v = form.cleaned_data
            rows = donor_statement(
                user, donor_name=v["donor_name"], donor_identifier=v["donor_identifier"],
                year=v["year"],
            )  # fmt: skip
            if v["file_type"] == "csv":
                response = HttpResponse(statement_csv(rows, donor_name=v["donor_name"],
                                                      year=v["year"]),
                                        content_type="text/csv; charset=utf-8")  # fmt: skip
                response["Content-Disposition"] = f'attachment; filename="donor-{v["year"]}.csv"'
                return response
            if v["file_type"] == "pdf":
                response = HttpResponse(statement_pdf(
                    rows, donor_name=v["donor_name"], donor_identifier=v["donor_identifier"],
                    year=v["year"]), content_type="application/pdf")  # fmt: skip
                response["Content-Disposition"] = f'attachment; filename="donor-{v["year"]}.pdf"'
                return response
        context = {
            **self.admin_site.each_context(request), "form": form, "rows": rows,
            "title": gettext("Donor year-end statement"), "opts": self.model._meta,
        }  # fmt: skip
        return TemplateResponse(request, "admin/funds/donation/statement.html", context)


@admin.register(Receipt)
class ReceiptAdmin(ServiceAdmin):
    selector = staticmethod(receipts_visible_to)
    list_display = ["display_number", "issuer", "donor_name", "amount", "issued_at", "state",
                    "pdf_link"]  # fmt: skip
    list_filter = ["state", "year", "issuer"]
    search_fields = ["donor_name", "donor_identifier", "number"]
    fields = ["issuer", "year", "number", "donation", "amount", "donor_name",
              "donor_identifier", "state", "issued_at", "issued_by", "voided_at",
              "void_reason", "pdf_link"]  # fmt: skip
    readonly_fields = fields
    actions = ["void"]

    def has_add_permission(self, request):
        return False  # issued from a donation (the donations' action)

    @admin.display(description=_("printable receipt"))
    def pdf_link(self, obj):
        url = reverse("admin:funds_receipt_pdf", args=[obj.pk])
        return format_html('<a href="{}">PDF</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.pdf_view)
        return [path("<int:pk>/download/", view, name="funds_receipt_pdf"), *super().get_urls()]

    def pdf_view(self, request, pk):
        receipt = get_object_or_404(receipts_visible_to(request.user), pk=pk)
        response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{receipt}.pdf"'
        return response

    @admin.action(description=_("Void the selected receipts (they keep their numbers)"))
    def void(self, request, queryset):
        self._each(request, queryset, lambda r: services.receipt_void(
            actor=request.user, receipt_id=r.pk, reason=gettext("voided in the admin")),
            gettext("%(n)d voided."))  # fmt: skip


class CharityFundForm(forms.ModelForm):
    region = forms.ModelChoiceField(queryset=None, label=_("community"))
    expected_amount = forms.DecimalField(label=_("expected amount (CNY)"), max_digits=18,
                                         decimal_places=2, min_value=0.01)  # fmt: skip
    scan = forms.FileField(label=_("agreement scan (PDF or image)"), required=False)

    class Meta:
        model = CharityFund
        fields = ["name", "purpose", "host", "agreement_number", "agreement_signed_on",
                  "agreement_starts_on", "agreement_ends_on"]  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        if "region" in fields:
            fields["region"].queryset = regions_visible_to(user).filter(level="community")
        if "host" in fields:
            fields["host"].queryset = holders_visible_to(user).filter(kind="charity")
        if self.instance.pk:
            for name, value in (("region", self.instance.source.region_id),
                                ("expected_amount", self.instance.source.appropriated_amount),
                                ("host", self.instance.host_id)):  # fmt: skip
                if name in fields:
                    fields[name].initial = value
                    fields[name].disabled = True


@admin.register(CharityFund)
class CharityFundAdmin(ServiceAdmin):
    selector = staticmethod(charity_funds_visible_to)
    form = CharityFundForm
    list_display = ["name", "host", "region_name", "agreement_ends_on", "state"]
    list_filter = ["state"]
    search_fields = ["name", "host__name", "agreement_number"]
    readonly_fields = ["state", "source", "agreement_scan_link", "agreement_scan_type", "opened_at"]
    actions = ["submit"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return WithUser

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            main, scan = ["name", "purpose", "region", "host", "expected_amount"], ["scan"]
        else:
            main, scan = ["name", "purpose", "region_name", "host", "expected_amount_display"], []
        return [
            (None, {"fields": main}),
            (_("cooperation agreement"), {"fields": [
                "agreement_number", "agreement_signed_on", "agreement_starts_on",
                "agreement_ends_on", *scan]}),
            (_("state"), {"fields": self.readonly_fields}),
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if not self.has_change_permission(request, obj):
            return [*self.readonly_fields, "region_name", "expected_amount_display"]
        return self.readonly_fields

    @admin.display(description=_("agreement scan"))
    def agreement_scan_link(self, obj):
        if not obj.agreement_scan:
            return "—"
        url = reverse("admin:funds_charityfund_scan", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("open the scan"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.scan_view)
        return [path("<int:pk>/scan/", view, name="funds_charityfund_scan"), *super().get_urls()]

    def scan_view(self, request, pk):
        fund = get_object_or_404(charity_funds_visible_to(request.user), pk=pk)
        if not fund.agreement_scan:
            raise Http404
        return serve_private(fund.agreement_scan, content_type=fund.agreement_scan_type,
                             filename=f"agreement-{fund.pk}")  # fmt: skip

    @admin.display(description=_("expected amount (CNY)"))
    def expected_amount_display(self, obj):
        return f"{obj.source.appropriated_amount:.2f}"

    @admin.display(description=_("community"))
    def region_name(self, obj):
        return obj.source.region.name

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        agreement = {f: data.get(f) or ("" if f == "agreement_number" else None)
                     for f in ("agreement_number", "agreement_signed_on",
                               "agreement_starts_on", "agreement_ends_on")}  # fmt: skip
        if change:
            fund = services.charity_fund_update_agreement(
                actor=request.user, fund_id=obj.pk, reason=self.reason(form), **agreement
            )
        else:
            fund = services.charity_fund_create(
                actor=request.user, region=data["region"].pk, host=data["host"].pk,
                name=data["name"], purpose=data.get("purpose") or "",
                expected_amount=data["expected_amount"], reason=self.reason(form), **agreement,
            )  # fmt: skip
        if data.get("scan"):
            upload = data["scan"]
            services.charity_fund_upload_agreement(
                actor=request.user, fund_id=fund.pk, filename=upload.name,
                content=upload.read(uploads.max_bytes() + 1),
            )  # fmt: skip
        obj.pk = fund.pk
        obj.refresh_from_db()

    @admin.action(description=_("Submit the selected funds for approval"))
    def submit(self, request, queryset):
        self._each(request, queryset,
                   lambda f: services.charity_fund_submit(actor=request.user, fund_id=f.pk),
                   gettext("%(n)d submitted for approval."))  # fmt: skip
