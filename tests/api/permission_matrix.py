# ruff: noqa: E501  (the matrix is one table, one row per line)
"""THE permission matrix: every operation of the API × every role → the expected outcome.

    ALLOW   the role may: 2xx, on the in-scope and on the out-of-scope object alike
    SCOPED  the role may on objects in its scope (2xx); out of scope answers 404 (an id in
            the path), 400 naming the field as for an id that does not exist (an object
            named in the body), or 403/404 (an object named in the query)
    401     not authenticated (anonymous): 401 with a WWW-Authenticate header
    403     refused, whatever the object (an out-of-scope object may answer 404 instead)
    404     the role sees no such object at all

test_permission_matrix.py calls every cell and fails on any operation of the schema that
has no row here: no endpoint lands without its permissions decided.

The roles (tests/api/conftest.py): finance_town, federation_staff and organization_rep sit
in township A (文汇街道; federation A; organization A); finance_county holds the county over
townships A and B; the auditor the city. The "out" request names township B's object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.api.conftest import ROLES

ALLOW, SCOPED = "allow", "scoped"

# fmt: off
#  method, path                                               admin  fin_cty fin_twn fed    org    auditor anon
MATRIX: dict[tuple[str, str], tuple] = {
    ("GET", "/api/v1/me/"):                                   (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/auth/token/"):                          (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, ALLOW),
    # One's own tokens: every user lists and revokes its own (an auditor too: credentials
    # are not data); another user's token is not found.
    ("GET", "/api/v1/auth/tokens/"):                          (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("DELETE", "/api/v1/auth/tokens/{id}/"):                  (SCOPED, SCOPED, SCOPED, SCOPED, SCOPED, SCOPED, 401),
    # federations/: regions, organizations, federations, staff, members, reports
    ("GET", "/api/v1/regions/"):                              (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("GET", "/api/v1/regions/{id}/"):                         (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/organizations/"):                        (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/organizations/"):                       (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/organizations/{id}/"):                   (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("PATCH", "/api/v1/organizations/{id}/"):                 (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("POST", "/api/v1/organizations/{id}/state/"):            (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/organizations/{id}/eligibility/"):       (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/organizations/import/"):                (ALLOW, 403,    403,    ALLOW,  403,    403,   401),
    ("GET", "/api/v1/federations/"):                          (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/federations/"):                         (ALLOW, 403,    403,    403,    403,    403,   401),
    # A representative sees no federation, not even its own (see the report to the lead).
    ("GET", "/api/v1/federations/{id}/"):                     (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("PATCH", "/api/v1/federations/{id}/"):                   (ALLOW, 403,    403,    403,    403,    403,   401),
    ("GET", "/api/v1/federation-staff/"):                     (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/federation-staff/"):                    (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/federation-staff/{id}/"):                (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    ALLOW, 401),
    ("POST", "/api/v1/federation-staff/{id}/end/"):           (ALLOW, 403,    403,    SCOPED, 404,    403,   401),
    ("GET", "/api/v1/members/"):                              (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/members/"):                             (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/members/{id}/"):                         (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/members/{id}/leave/"):                  (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/reports/targets/"):                      (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    ALLOW, 401),
    ("GET", "/api/v1/reports/targets/export/"):               (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    ALLOW, 401),
    # funds/: fiscal years, sources, budgets, lines, adjustments, carry-forwards, report
    ("GET", "/api/v1/fiscal-years/"):                         (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/fiscal-years/"):                        (ALLOW, 403,    403,    403,    403,    403,   401),
    ("GET", "/api/v1/fiscal-years/{id}/"):                    (ALLOW, ALLOW,  ALLOW,  404,    404,    ALLOW, 401),
    ("POST", "/api/v1/fiscal-years/{id}/close/"):             (ALLOW, 403,    403,    404,    404,    403,   401),
    ("GET", "/api/v1/fiscal-years/{id}/closing-report/"):     (ALLOW, ALLOW,  ALLOW,  404,    404,    ALLOW, 401),
    ("GET", "/api/v1/funding-sources/"):                      (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/funding-sources/"):                     (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/funding-sources/{id}/"):                 (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("PATCH", "/api/v1/funding-sources/{id}/"):               (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/funding-sources/{id}/submit/"):         (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/funding-sources/{id}/carry-forward/"):  (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("GET", "/api/v1/budgets/"):                              (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/budgets/"):                             (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/budgets/{id}/"):                         (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("POST", "/api/v1/budgets/{id}/submit/"):                 (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("GET", "/api/v1/budget-lines/"):                         (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/budget-lines/"):                        (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/budget-lines/{id}/"):                    (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("PATCH", "/api/v1/budget-lines/{id}/"):                  (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("DELETE", "/api/v1/budget-lines/{id}/"):                 (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("GET", "/api/v1/budget-adjustments/"):                   (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/budget-adjustments/"):                  (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/budget-adjustments/{id}/"):              (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("GET", "/api/v1/carry-forwards/"):                       (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("GET", "/api/v1/carry-forwards/{id}/"):                  (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("GET", "/api/v1/reports/budget-execution/"):             (ALLOW, ALLOW,  SCOPED, 403,    403,    ALLOW, 401),
    ("GET", "/api/v1/reports/budget-execution/export/"):      (ALLOW, ALLOW,  SCOPED, 403,    403,    ALLOW, 401),
    # funds/ crowdfunding: holders, campaigns, donations, receipts, charity funds; the
    # public figures of a campaign are for anyone (donor names of anonymous gifts hidden)
    ("GET", "/api/v1/fundraising-holders/"):                  (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/fundraising-holders/"):                 (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/fundraising-holders/{id}/"):             (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("GET", "/api/v1/campaigns/"):                            (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/campaigns/"):                           (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/campaigns/{id}/"):                       (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("PATCH", "/api/v1/campaigns/{id}/"):                     (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/campaigns/{id}/submit/"):               (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/campaigns/{id}/open/"):                 (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/campaigns/{id}/close/"):                (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/campaigns/{id}/cancel/"):               (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/campaigns/{id}/refund-all/"):           (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("GET", "/api/v1/campaigns/{id}/public/"):                (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, ALLOW),
    ("GET", "/api/v1/donations/"):                            (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/donations/"):                           (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/donations/{id}/"):                       (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("POST", "/api/v1/donations/{id}/refund/"):               (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("POST", "/api/v1/donations/{id}/receipt/"):              (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("GET", "/api/v1/donations/statement/"):                  (ALLOW, ALLOW,  ALLOW,  403,    403,    ALLOW, 401),
    ("GET", "/api/v1/donations/statement/export/"):           (ALLOW, ALLOW,  ALLOW,  403,    403,    ALLOW, 401),
    ("GET", "/api/v1/receipts/"):                             (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("GET", "/api/v1/receipts/{id}/"):                        (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("GET", "/api/v1/receipts/{id}/pdf/"):                    (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("POST", "/api/v1/receipts/{id}/void/"):                  (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("GET", "/api/v1/charity-funds/"):                        (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/charity-funds/"):                       (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/charity-funds/{id}/"):                   (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("POST", "/api/v1/charity-funds/{id}/agreement/"):        (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    ("GET", "/api/v1/charity-funds/{id}/agreement-scan/"):    (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("POST", "/api/v1/charity-funds/{id}/submit/"):           (ALLOW, ALLOW,  SCOPED, 404,    404,    403,   401),
    # ledger/: read-only
    ("GET", "/api/v1/ledger/accounts/"):                      (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("GET", "/api/v1/ledger/accounts/{id}/"):                 (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/ledger/transfers/"):                     (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("GET", "/api/v1/ledger/transfers/{id}/"):                (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    # audit/: auditors and administrators; a job is its owner's
    ("GET", "/api/v1/audit/history/"):                        (ALLOW, 403,    403,    403,    403,    ALLOW, 401),
    ("GET", "/api/v1/audit/history/diff/"):                   (ALLOW, 403,    403,    403,    403,    ALLOW, 401),
    ("GET", "/api/v1/audit/exports/"):                        (ALLOW, 403,    403,    403,    403,    ALLOW, 401),
    ("GET", "/api/v1/audit/verify/"):                         (ALLOW, 403,    403,    403,    403,    ALLOW, 401),
    ("GET", "/api/v1/jobs/{id}/"):                            (ALLOW, SCOPED, SCOPED, SCOPED, SCOPED, SCOPED, 401),
    ("GET", "/api/v1/jobs/{id}/download/"):                   (ALLOW, SCOPED, SCOPED, SCOPED, SCOPED, SCOPED, 401),
    # core: notifications are their user's own
    ("GET", "/api/v1/notifications/"):                        (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/notifications/{id}/read/"):             (SCOPED, SCOPED, SCOPED, SCOPED, SCOPED, 403,  401),
    # approvals/: the inbox lists only what the user may decide now (SCOPED: 200, maybe
    # empty); a request is decided by the officers of the level it waits for, never by its
    # submitter (federation staff of A submitted A's); withdrawn by its submitter only.
    # Federation staff decide expense claims of their federation (the federation-staff
    # level), forwarded by a colleague; B's claim is not found.
    ("GET", "/api/v1/approvals/"):                            (SCOPED, SCOPED, ALLOW,  SCOPED, SCOPED, SCOPED, 401),
    ("GET", "/api/v1/approvals/{id}/"):                       (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    ALLOW, 401),
    ("POST", "/api/v1/approvals/{id}/approve/"):              (403,   403,    SCOPED, SCOPED, 404,    403,   401),
    ("POST", "/api/v1/approvals/{id}/reject/"):               (403,   403,    SCOPED, SCOPED, 404,    403,   401),
    ("POST", "/api/v1/approvals/{id}/return/"):               (403,   403,    SCOPED, SCOPED, 404,    403,   401),
    ("POST", "/api/v1/approvals/{id}/withdraw/"):             (403,   403,    403,    SCOPED, 404,    403,   401),
    ("GET", "/api/v1/approval-policies/"):                    (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/approval-policies/"):                   (ALLOW, 403,    403,    403,    403,    403,   401),
    ("GET", "/api/v1/approval-policies/{id}/"):               (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("PATCH", "/api/v1/approval-policies/{id}/"):             (ALLOW, 403,    403,    403,    403,    403,   401),
    ("GET", "/api/v1/approval-delegations/"):                 (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/approval-delegations/"):                (403,   SCOPED, SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/approval-delegations/{id}/"):            (ALLOW, ALLOW,  SCOPED, 404,    404,    ALLOW, 401),
    ("POST", "/api/v1/approval-delegations/{id}/revoke/"):    (ALLOW, 403,    SCOPED, 404,    404,    403,   401),
    # projects/: needs and offers, projects, allocations, contracts, milestones, evaluations.
    # Finance officers act on their region's projects; federation staff on their federation's
    # and members' (here: custody for organization A); a representative on its own.
    ("GET", "/api/v1/demands/"):                              (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/demands/"):                             (ALLOW, ALLOW,  SCOPED, SCOPED, 403,    403,   401),
    ("GET", "/api/v1/demands/{id}/"):                         (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/demands/{id}/close/"):                  (ALLOW, ALLOW,  SCOPED, SCOPED, 403,    403,   401),
    ("GET", "/api/v1/demands/{id}/suggestions/"):             (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/offers/"):                               (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/offers/"):                              (ALLOW, 403,    403,    SCOPED, SCOPED, 403,   401),
    ("GET", "/api/v1/offers/{id}/"):                          (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/offers/{id}/withdraw/"):                (ALLOW, 403,    403,    SCOPED, SCOPED, 403,   401),
    ("GET", "/api/v1/projects/"):                             (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/projects/"):                            (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, 403,   401),
    ("POST", "/api/v1/projects/from-match/"):                 (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, 403,   401),
    ("GET", "/api/v1/projects/{id}/"):                        (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/projects/{id}/compliance/"):             (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/projects/{id}/submit/"):                (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, 403,   401),
    ("POST", "/api/v1/projects/{id}/transition/"):            (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, 403,   401),
    ("POST", "/api/v1/projects/{id}/visits/"):                (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/projects/{id}/campaigns/"):              (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/projects/{id}/campaigns/"):             (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/reports/project-disclosure/"):           (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, ALLOW),
    ("GET", "/api/v1/allocations/"):                          (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/allocations/"):                         (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/allocations/{id}/"):                     (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/allocations/{id}/submit/"):             (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("POST", "/api/v1/allocations/{id}/release/"):            (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/contracts/"):                            (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/contracts/"):                           (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/contracts/{id}/"):                       (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/contracts/{id}/submit/"):               (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("POST", "/api/v1/contracts/{id}/sign/"):                 (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/contracts/{id}/scan/"):                  (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/milestones/"):                           (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/milestones/"):                          (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/milestones/{id}/"):                      (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/milestones/{id}/progress/"):            (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, 403,   401),
    ("GET", "/api/v1/milestones/{id}/evidence/"):             (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/milestones/{id}/evidence/"):            (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, 403,   401),
    ("GET", "/api/v1/milestones/{id}/evidence/{evidence_id}/file/"): (ALLOW, ALLOW, SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/milestones/{id}/accept/"):              (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("POST", "/api/v1/milestones/{id}/pay/"):                 (ALLOW, ALLOW,  SCOPED, 403,    403,    403,   401),
    ("GET", "/api/v1/evaluations/"):                          (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/evaluations/"):                         (ALLOW, ALLOW,  SCOPED, SCOPED, 403,    403,   401),
    ("GET", "/api/v1/evaluations/{id}/"):                     (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    # escrow/: custodial accounts, deposits, expense claims, statements, bank statements.
    # Federation staff act on their federation's accounts; the representative on its own
    # claims; finance officers of the region may freeze; auditors read; a representative
    # sees no bank statement (the federation's bank account).
    ("GET", "/api/v1/custodial-accounts/"):                   (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/custodial-accounts/"):                  (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/custodial-accounts/dashboard/"):         (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("GET", "/api/v1/custodial-accounts/{id}/"):              (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("PATCH", "/api/v1/custodial-accounts/{id}/"):            (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/custodial-accounts/{id}/receivable/"):   (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/custodial-accounts/{id}/freeze/"):      (ALLOW, ALLOW,  SCOPED, SCOPED, 403,    403,   401),
    ("POST", "/api/v1/custodial-accounts/{id}/unfreeze/"):    (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    403,   401),
    ("POST", "/api/v1/custodial-accounts/{id}/return-remainder/"): (ALLOW, 403, 403,  SCOPED, 404,    403,   401),
    ("POST", "/api/v1/custodial-accounts/{id}/close/"):       (ALLOW, 403,    403,    SCOPED, 404,    403,   401),
    ("GET", "/api/v1/deposits/"):                             (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/deposits/"):                            (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("POST", "/api/v1/deposits/confirm/"):                    (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/deposits/{id}/"):                        (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/deposits/{id}/void/"):                  (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/expense-claims/"):                       (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/expense-claims/"):                      (ALLOW, 403,    403,    403,    SCOPED, 403,   401),
    ("GET", "/api/v1/expense-claims/{id}/"):                  (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("PATCH", "/api/v1/expense-claims/{id}/"):                (ALLOW, 403,    403,    403,    SCOPED, 403,   401),
    ("POST", "/api/v1/expense-claims/{id}/lines/"):           (ALLOW, 403,    403,    403,    SCOPED, 403,   401),
    ("DELETE", "/api/v1/expense-claims/{id}/lines/{line_id}/"): (ALLOW, 403,  403,    403,    SCOPED, 403,   401),
    ("POST", "/api/v1/expense-claims/{id}/vouchers/"):        (ALLOW, 403,    403,    SCOPED, SCOPED, 403,   401),
    ("GET", "/api/v1/expense-claims/{id}/vouchers/{voucher_id}/"): (ALLOW, ALLOW, SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("POST", "/api/v1/expense-claims/{id}/submit/"):          (ALLOW, 403,    403,    403,    SCOPED, 403,   401),
    ("POST", "/api/v1/expense-claims/{id}/withdraw/"):        (ALLOW, 403,    403,    403,    SCOPED, 403,   401),
    ("POST", "/api/v1/expense-claims/{id}/forward/"):         (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("POST", "/api/v1/expense-claims/{id}/return/"):          (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("POST", "/api/v1/expense-claims/{id}/reject/"):          (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("POST", "/api/v1/expense-claims/{id}/pay/"):             (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/statements/"):                           (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/statements/"):                          (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/statements/on-demand/"):                 (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/statements/{id}/"):                      (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/statements/{id}/download/"):             (ALLOW, ALLOW,  SCOPED, SCOPED, SCOPED, ALLOW, 401),
    ("GET", "/api/v1/bank-statements/"):                      (ALLOW, ALLOW,  ALLOW,  ALLOW,  ALLOW,  ALLOW, 401),
    ("POST", "/api/v1/bank-statements/"):                     (ALLOW, 403,    403,    SCOPED, 403,    403,   401),
    ("GET", "/api/v1/bank-statements/{id}/"):                 (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    ALLOW, 401),
    ("GET", "/api/v1/bank-statements/{id}/lines/"):           (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    ALLOW, 401),
    ("GET", "/api/v1/bank-statements/{id}/report/"):          (ALLOW, ALLOW,  SCOPED, SCOPED, 404,    ALLOW, 401),
    ("POST", "/api/v1/bank-statements/{id}/matches/"):        (ALLOW, 403,    403,    SCOPED, 404,    403,   401),
    ("POST", "/api/v1/bank-statements/{id}/matches/{match_id}/confirm/"): (ALLOW, 403, 403, SCOPED, 404, 403, 401),
    ("POST", "/api/v1/bank-statements/{id}/matches/{match_id}/remove/"): (ALLOW, 403, 403, SCOPED, 404, 403, 401),
    ("POST", "/api/v1/bank-statements/{id}/reconcile/"):      (ALLOW, 403,    403,    SCOPED, 404,    403,   401),
}
# fmt: on


@dataclass
class Req:
    """One call: path parameters, query and body (JSON unless `multipart`)."""

    path: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: dict | None = None
    multipart: bool = False


def _a_b(name):
    """In scope: township A's object; out of scope: township B's."""
    return lambda w, role: (
        Req(path={"id": w[f"{name}_a"].pk}),
        Req(path={"id": w[f"{name}_b"].pk}),
    )


def _own_job(w, role):
    other = "auditor" if role == "administrator" else "administrator"
    own = w.objects.get(f"job_{role}", w[f"job_{other}"])
    return Req(path={"id": own.pk}), Req(path={"id": w[f"job_{other}"].pk})


def _own_token(w, role):
    other = "auditor" if role == "administrator" else "administrator"
    own = w.objects.get(f"token_{role}", w[f"token_{other}"])
    return Req(path={"id": own.pk}), Req(path={"id": w[f"token_{other}"].pk})


def _token(w, role):
    username = w.users.get(role, w.users["administrator"]).username
    return Req(body={"username": username, "password": "pw-test-123"}), None


def _organization(w, side):
    return {
        "name": f"新建组织{side}",
        "community": w[f"comm_{side}1"].pk,
        "legal_status": "filed",
        "categories": ["volunteering"],
        "representative_name": "孙七",
        "founded_on": "2022-03-01",
    }


def _federation_body(w, side):
    from federations.codes import make_credit_code

    return {
        "name": f"新联合会{side}",
        "township": w[f"town_{side}"].pk,
        "credit_code": make_credit_code("51", "370502", 900 + ord(side)),
        "head_name": "周八",
    }


def _import_file(w, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = "名称,社区代码,法律地位,类别,负责人,成立日期\n导入的组织,%s,备案,volunteering,吴九,2021-05-01\n"
    upload = SimpleUploadedFile(
        "register.csv", (csv % w["comm_a2"].code).encode("utf-8"), "text/csv"
    )
    return Req(body={"file": upload}, multipart=True), None


def _report(w, role):
    return Req(query={"region": w["town_a"].pk}), Req(query={"region": w["town_b"].pk})


def _diff(w, role):
    from federations.models import Organization

    ids = list(
        Organization.history.filter(id=w["org_a"].pk)
        .order_by("history_id")
        .values_list("history_id", flat=True)
    )
    query = {
        "model": "federations.organization",
        "object_id": str(w["org_a"].pk),
        "from_version": ids[0],
        "to_version": ids[-1],
    }
    return Req(query=query), None


def _source_body(w, side):
    return {
        "name": f"新资金{side}",
        "kind": "community_welfare_subsidy",
        "fiscal_year": 2026,
        "region": w[f"town_{side}"].pk,
        "issuer": "东营区财政局",
        "document_number": f"东区财〔2026〕新{side}号",
        "appropriated_amount": "1000.00",
    }


def _line_body(w, side):
    return {
        "budget": w[f"draft_budget_{side}"].pk,
        "category": "culture_sports",
        "source": w[f"source25_{side}"].pk,
        "amount": "10.00",
    }


def _adjustment_body(w, side):
    return {
        "from_line": w[f"line_{side}1"].pk,
        "to_line": w[f"line_{side}2"].pk,
        "amount": "10.00",
        "reason": "调剂",
    }


def _execution_report(w, role):
    return (
        Req(query={"region": w["town_a"].pk, "fiscal_year": 2026}),
        Req(query={"region": w["town_b"].pk, "fiscal_year": 2026}),
    )


END = {"on": "2026-12-31", "reason": "测试"}


def _own_notification(w, role):
    other = "auditor" if role == "administrator" else "administrator"
    own = w.objects.get(f"notification_{role}", w[f"notification_{other}"])
    return Req(path={"id": own.pk}), Req(path={"id": w[f"notification_{other}"].pk})


def _offer_body(w, side):
    return {
        "organization": w[f"org_{side}"].pk,
        "title": "新服务",
        "category": "elderly_care",
        "area": w[f"town_{side}"].pk,
        "price_min": "10.00",
        "price_max": "20.00",
    }


def _project_body(w, side):
    return {
        "title": "新项目",
        "purchaser": w[f"town_{side}"].pk,
        "category": "elderly_care",
        "catalogue_code": "A0501",
        "fiscal_year": 2026,
        "budget_amount": "100.00",
        "custody_federation": w[f"federation_{side}"].pk,
        "member": w[f"org_{side}"].pk,
    }


def _match_body(w, side):
    return {
        "demand": w[f"demand_{side}"].pk,
        "offer": w[f"offer_{side}"].pk,
        "purchaser": w[f"town_{side}"].pk,
        "catalogue_code": "A0501",
        "fiscal_year": 2026,
        "budget_amount": "100.00",
    }


def _contract_body(w, side):
    return {
        "project": w[f"project_approved_{side}"].pk,
        "content": "服务内容",
        "term_start": "2026-03-01",
        "term_end": "2026-12-31",
        "price": "100.00",
    }


def _milestone_body(w, side):
    return {
        "project": w[f"project_approved_{side}"].pk,
        "number": 9,
        "title": "新阶段",
        "due_on": "2026-09-01",
        "amount": "10.00",
    }


def _evaluation_body(w, side, role):
    kind = "federation" if role == "federation_staff" else "purchaser"
    return {
        "project": w[f"project_delivered_{side}"].pk,
        "evaluator_kind": kind,
        "evaluator_name": "评价方",
        "evaluated_on": "2026-12-20",
        "criteria": [{"name": "质量", "weight": "100", "score": "90"}],
    }


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")


def _sign(w, role):
    return (
        Req(
            path={"id": w["contract_approved_a"].pk},
            body={"signed_on": "2026-03-01", "scan": _pdf()},
            multipart=True,
        ),
        Req(
            path={"id": w["contract_approved_b"].pk},
            body={"signed_on": "2026-03-01", "scan": _pdf()},
            multipart=True,
        ),
    )


def _evidence_upload(w, role):
    return (
        Req(path={"id": w["milestone_planned_a"].pk}, body={"file": _pdf()}, multipart=True),
        Req(path={"id": w["milestone_planned_b"].pk}, body={"file": _pdf()}, multipart=True),
    )


def _decide(reason, *, staff_claims=True):
    """Officers decide the test step's requests; federation staff an expense claim's (the
    federation-staff level), forwarded by their colleague."""

    def build(w, role):
        name = "claim_approval" if staff_claims and role == "federation_staff" else "approval"
        return (
            Req(path={"id": w[f"{name}_a"].pk}, body={"reason": reason}),
            Req(path={"id": w[f"{name}_b"].pk}, body={"reason": reason}),
        )

    return build


def _delegation_body(w, role):
    """Each officer delegates at its own region to its peer there; out: township B."""
    import datetime

    today = str(datetime.date.today())
    if role == "finance_county":
        region, to = w["county"], w["user_finance_county2"]
    else:
        region, to = w["town_a"], w["user_finance_town2"]
    body = {"to_user": to.pk, "region": region.pk, "starts_on": today, "ends_on": today}
    out = {**body, "region": w["town_b"].pk, "to_user": w["user_finance_town_b2"].pk}
    return Req(body=body), Req(body=out)


def _policy_body(w, role):
    tiers = [{"above_amount": "0.00", "level": "county", "count": 1}]
    return Req(body={"kind": "test_step", "region": w["county"].pk, "tiers": tiers}), None


def _campaign_body(w, side):
    return {"region": w[f"town_{side}"].pk, "holder": w[f"holder_{side}"].pk,
            "title": f"新众筹{side}", "purpose": "测试", "target_amount": "500.00",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "outcome_rule": "keep_what_raised", "category": "elderly_care"}  # fmt: skip


def _donation_body(w, side):
    return {"idempotency_key": f"matrix-{side}", "campaign": w[f"campaign_{side}"].pk,
            "donor_type": "enterprise", "donor_name": "某公司", "amount": "10.00",
            "channel": "cash", "donated_on": "2026-06-02"}  # fmt: skip


def _fund_body(w, side):
    return {"region": w[f"comm_{side}1"].pk, "host": w[f"holder_{side}"].pk,
            "name": f"新基金{side}", "expected_amount": "100.00"}  # fmt: skip


def _holder_body(w, side):
    return {"kind": "charity", "name": f"新慈善会{side}", "region": w[f"town_{side}"].pk}


def _statement(extra):
    query = {"donor_name": "捐赠人a2", "year": 2026, **extra}
    return lambda w, role: (Req(query=query), None)


def _scan(w, side):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    return Req(path={"id": w[f"fund_{side}"].pk}, body={"file": upload}, multipart=True)


def _a_b_body(name, body):
    return lambda w, role: (
        Req(path={"id": w[f"{name}_a"].pk}, body=body),
        Req(path={"id": w[f"{name}_b"].pk}, body=body),
    )


def _bodies(make):
    return lambda w, role: (Req(body=make(w, "a")), Req(body=make(w, "b")))


# How each row is called: (the in-scope request, the out-of-scope request or None).
# Rows not listed are called once, with no parameters.
REQUESTS = {
    ("POST", "/api/v1/auth/token/"): _token,
    ("DELETE", "/api/v1/auth/tokens/{id}/"): _own_token,
    ("GET", "/api/v1/regions/{id}/"): lambda w, role: (
        Req(path={"id": w["comm_a1"].pk}),
        Req(path={"id": w["comm_b1"].pk}),
    ),
    ("POST", "/api/v1/organizations/"): lambda w, role: (
        Req(body=_organization(w, "a")),
        Req(body=_organization(w, "b")),
    ),
    ("GET", "/api/v1/organizations/{id}/"): _a_b("org"),
    ("PATCH", "/api/v1/organizations/{id}/"): lambda w, role: (
        Req(path={"id": w["org_a"].pk}, body={"name": "改名的组织"}),
        Req(path={"id": w["org_b"].pk}, body={"name": "改名的组织"}),
    ),
    ("POST", "/api/v1/organizations/{id}/state/"): lambda w, role: (
        Req(path={"id": w["org_a"].pk}, body={"state": "suspended", "reason": "测试"}),
        Req(path={"id": w["org_b"].pk}, body={"state": "suspended", "reason": "测试"}),
    ),
    ("GET", "/api/v1/organizations/{id}/eligibility/"): _a_b("org"),
    ("POST", "/api/v1/organizations/import/"): _import_file,
    ("POST", "/api/v1/federations/"): lambda w, role: (Req(body=_federation_body(w, "c")), None),
    ("GET", "/api/v1/federations/{id}/"): _a_b("federation"),
    ("PATCH", "/api/v1/federations/{id}/"): lambda w, role: (
        Req(path={"id": w["federation_a"].pk}, body={"head_name": "郑十"}),
        Req(path={"id": w["federation_b"].pk}, body={"head_name": "郑十"}),
    ),
    ("POST", "/api/v1/federation-staff/"): lambda w, role: (
        Req(
            body={"federation": w["federation_a"].pk, "name": "新社工", "started_on": "2025-01-01"}
        ),
        Req(
            body={"federation": w["federation_b"].pk, "name": "新社工", "started_on": "2025-01-01"}
        ),
    ),
    ("GET", "/api/v1/federation-staff/{id}/"): _a_b("staff"),
    ("POST", "/api/v1/federation-staff/{id}/end/"): lambda w, role: (
        Req(path={"id": w["staff_a"].pk}, body=END),
        Req(path={"id": w["staff_b"].pk}, body=END),
    ),
    ("POST", "/api/v1/members/"): lambda w, role: (
        Req(
            body={
                "federation": w["federation_a"].pk,
                "organization": w["loose_org_a"].pk,
                "joined_on": "2025-01-01",
            }
        ),
        Req(
            body={
                "federation": w["federation_b"].pk,
                "organization": w["loose_org_b"].pk,
                "joined_on": "2025-01-01",
            }
        ),
    ),
    ("GET", "/api/v1/members/{id}/"): _a_b("membership"),
    ("POST", "/api/v1/members/{id}/leave/"): lambda w, role: (
        Req(path={"id": w["membership_a"].pk}, body=END),
        Req(path={"id": w["membership_b"].pk}, body=END),
    ),
    ("GET", "/api/v1/reports/targets/"): _report,
    ("GET", "/api/v1/reports/targets/export/"): _report,
    ("GET", "/api/v1/fiscal-years/{id}/"): lambda w, role: (
        Req(path={"id": w["fy_2026"].pk}),
        None,
    ),
    ("POST", "/api/v1/fiscal-years/"): lambda w, role: (Req(body={"year": 2030}), None),
    ("POST", "/api/v1/fiscal-years/{id}/close/"): lambda w, role: (
        Req(path={"id": w["fy_2027"].pk}, body={"reason": "年终"}),
        None,
    ),
    ("GET", "/api/v1/fiscal-years/{id}/closing-report/"): lambda w, role: (
        Req(path={"id": w["fy_2026"].pk}),
        None,
    ),
    ("POST", "/api/v1/funding-sources/"): lambda w, role: (
        Req(body=_source_body(w, "a")),
        Req(body=_source_body(w, "b")),
    ),
    ("GET", "/api/v1/funding-sources/{id}/"): _a_b("fsource"),
    ("PATCH", "/api/v1/funding-sources/{id}/"): lambda w, role: (
        Req(path={"id": w["draft_source_a"].pk}, body={"name": "改名的资金"}),
        Req(path={"id": w["draft_source_b"].pk}, body={"name": "改名的资金"}),
    ),
    ("POST", "/api/v1/funding-sources/{id}/submit/"): lambda w, role: (
        Req(path={"id": w["draft_source_a"].pk}, body={"reason": "请审批"}),
        Req(path={"id": w["draft_source_b"].pk}, body={"reason": "请审批"}),
    ),
    ("POST", "/api/v1/funding-sources/{id}/carry-forward/"): lambda w, role: (
        Req(path={"id": w["old_source_a2"].pk}, body={"reason": "结转"}),
        Req(path={"id": w["old_source_b2"].pk}, body={"reason": "结转"}),
    ),
    ("POST", "/api/v1/budgets/"): lambda w, role: (
        Req(body={"region": w["town_a"].pk, "fiscal_year": 2027, "title": "新预算"}),
        Req(body={"region": w["town_b"].pk, "fiscal_year": 2027, "title": "新预算"}),
    ),
    ("GET", "/api/v1/budgets/{id}/"): _a_b("budget"),
    ("POST", "/api/v1/budgets/{id}/submit/"): lambda w, role: (
        Req(path={"id": w["draft_budget_a"].pk}, body={}),
        Req(path={"id": w["draft_budget_b"].pk}, body={}),
    ),
    ("POST", "/api/v1/budget-lines/"): lambda w, role: (
        Req(body=_line_body(w, "a")),
        Req(body=_line_body(w, "b")),
    ),
    ("GET", "/api/v1/budget-lines/{id}/"): lambda w, role: (
        Req(path={"id": w["line_a1"].pk}),
        Req(path={"id": w["line_b1"].pk}),
    ),
    ("PATCH", "/api/v1/budget-lines/{id}/"): lambda w, role: (
        Req(path={"id": w["draft_line_a"].pk}, body={"amount": "20.00"}),
        Req(path={"id": w["draft_line_b"].pk}, body={"amount": "20.00"}),
    ),
    ("DELETE", "/api/v1/budget-lines/{id}/"): lambda w, role: (
        Req(path={"id": w["draft_line_a"].pk}),
        Req(path={"id": w["draft_line_b"].pk}),
    ),
    ("POST", "/api/v1/budget-adjustments/"): lambda w, role: (
        Req(body=_adjustment_body(w, "a")),
        Req(body=_adjustment_body(w, "b")),
    ),
    ("GET", "/api/v1/budget-adjustments/{id}/"): _a_b("adjustment"),
    ("GET", "/api/v1/carry-forwards/{id}/"): _a_b("carry"),
    ("GET", "/api/v1/reports/budget-execution/"): _execution_report,
    ("GET", "/api/v1/reports/budget-execution/export/"): _execution_report,
    ("GET", "/api/v1/ledger/accounts/{id}/"): _a_b("account"),
    ("GET", "/api/v1/ledger/transfers/{id}/"): _a_b("transfer"),
    ("GET", "/api/v1/audit/history/diff/"): _diff,
    ("GET", "/api/v1/jobs/{id}/"): _own_job,
    ("GET", "/api/v1/jobs/{id}/download/"): _own_job,
    ("POST", "/api/v1/notifications/{id}/read/"): _own_notification,
    ("GET", "/api/v1/approvals/"): lambda w, role: (Req(), None),
    ("GET", "/api/v1/approvals/{id}/"): _a_b("approval"),
    ("POST", "/api/v1/approvals/{id}/approve/"): _decide("同意"),
    ("POST", "/api/v1/approvals/{id}/reject/"): _decide("不同意"),
    ("POST", "/api/v1/approvals/{id}/return/"): _decide("请补充"),
    ("POST", "/api/v1/approvals/{id}/withdraw/"): _decide("撤回", staff_claims=False),
    ("POST", "/api/v1/approval-policies/"): _policy_body,
    ("GET", "/api/v1/approval-policies/{id}/"): lambda w, role: (
        Req(path={"id": w["approval_policy"].pk}),
        None,
    ),
    ("PATCH", "/api/v1/approval-policies/{id}/"): lambda w, role: (
        Req(path={"id": w["approval_policy"].pk}, body={"overdue_after_hours": 24}),
        None,
    ),
    ("POST", "/api/v1/approval-delegations/"): _delegation_body,
    ("GET", "/api/v1/approval-delegations/{id}/"): _a_b("delegation"),
    ("POST", "/api/v1/approval-delegations/{id}/revoke/"): _a_b("delegation"),
    ("POST", "/api/v1/fundraising-holders/"): _bodies(_holder_body),
    ("GET", "/api/v1/fundraising-holders/{id}/"): _a_b("holder"),
    ("POST", "/api/v1/campaigns/"): _bodies(_campaign_body),
    ("GET", "/api/v1/campaigns/{id}/"): _a_b("campaign"),
    ("PATCH", "/api/v1/campaigns/{id}/"): _a_b_body("draft_campaign", {"title": "改名"}),
    ("POST", "/api/v1/campaigns/{id}/submit/"): _a_b_body("draft_campaign", {}),
    ("POST", "/api/v1/campaigns/{id}/open/"): _a_b_body("approved_campaign", {}),
    ("POST", "/api/v1/campaigns/{id}/close/"): _a_b_body("campaign", {"reason": "期满"}),
    ("POST", "/api/v1/campaigns/{id}/cancel/"): _a_b_body("draft_campaign", {"reason": "取消"}),
    ("POST", "/api/v1/campaigns/{id}/refund-all/"): _a_b_body("failed_campaign", {}),
    ("GET", "/api/v1/campaigns/{id}/public/"): _a_b("campaign"),
    ("POST", "/api/v1/donations/"): _bodies(_donation_body),
    ("GET", "/api/v1/donations/{id}/"): _a_b("donation"),
    ("POST", "/api/v1/donations/{id}/refund/"): _a_b_body("donation", {"reason": "退回"}),
    ("POST", "/api/v1/donations/{id}/receipt/"): _a_b_body("donation", {}),
    ("GET", "/api/v1/donations/statement/"): _statement({}),
    ("GET", "/api/v1/donations/statement/export/"): _statement({"file_type": "csv"}),
    ("GET", "/api/v1/receipts/{id}/"): _a_b("receipt"),
    ("GET", "/api/v1/receipts/{id}/pdf/"): _a_b("receipt"),
    ("POST", "/api/v1/receipts/{id}/void/"): _a_b_body("receipt", {"reason": "作废"}),
    ("POST", "/api/v1/charity-funds/"): _bodies(_fund_body),
    ("GET", "/api/v1/charity-funds/{id}/"): _a_b("fund"),
    ("POST", "/api/v1/charity-funds/{id}/agreement/"): lambda w, role: (
        _scan(w, "a"),
        _scan(w, "b"),
    ),
    ("GET", "/api/v1/charity-funds/{id}/agreement-scan/"): _a_b("fund"),
    ("POST", "/api/v1/charity-funds/{id}/submit/"): _a_b_body("fund", {}),
    ("POST", "/api/v1/demands/"): lambda w, role: (
        Req(body={"community": w["comm_a1"].pk, "title": "新需求", "category": "elderly_care"}),
        Req(body={"community": w["comm_b1"].pk, "title": "新需求", "category": "elderly_care"}),
    ),
    ("GET", "/api/v1/demands/{id}/"): _a_b("demand"),
    ("POST", "/api/v1/demands/{id}/close/"): _a_b("demand"),
    ("GET", "/api/v1/demands/{id}/suggestions/"): _a_b("demand"),
    ("POST", "/api/v1/offers/"): lambda w, role: (
        Req(body=_offer_body(w, "a")),
        Req(body=_offer_body(w, "b")),
    ),
    ("GET", "/api/v1/offers/{id}/"): _a_b("offer"),
    ("POST", "/api/v1/offers/{id}/withdraw/"): _a_b("offer"),
    ("POST", "/api/v1/projects/"): lambda w, role: (
        Req(body=_project_body(w, "a")),
        Req(body=_project_body(w, "b")),
    ),
    ("POST", "/api/v1/projects/from-match/"): lambda w, role: (
        Req(body=_match_body(w, "a")),
        Req(body=_match_body(w, "b")),
    ),
    ("GET", "/api/v1/projects/{id}/"): _a_b("project_running"),
    ("GET", "/api/v1/projects/{id}/compliance/"): _a_b("project_running"),
    ("GET", "/api/v1/projects/{id}/campaigns/"): _a_b("project_running"),
    ("POST", "/api/v1/projects/{id}/campaigns/"): lambda w, role: (
        Req(path={"id": w["project_running_a"].pk}, body={"campaign": w["campaign_a"].pk}),
        Req(path={"id": w["project_running_b"].pk}, body={"campaign": w["campaign_b"].pk}),
    ),
    ("POST", "/api/v1/projects/{id}/submit/"): _a_b("project_draft"),
    ("POST", "/api/v1/projects/{id}/transition/"): lambda w, role: (
        Req(path={"id": w["project_running_a"].pk}, body={"to": "in_progress"}),
        Req(path={"id": w["project_running_b"].pk}, body={"to": "in_progress"}),
    ),
    ("POST", "/api/v1/projects/{id}/visits/"): lambda w, role: (
        Req(
            path={"id": w["project_running_a"].pk},
            body={"visited_on": "2026-05-01", "progress": "进展顺利"},
        ),
        Req(
            path={"id": w["project_running_b"].pk},
            body={"visited_on": "2026-05-01", "progress": "进展顺利"},
        ),
    ),
    ("GET", "/api/v1/reports/project-disclosure/"): lambda w, role: (
        Req(query={"fiscal_year": 2026}),
        None,
    ),
    ("POST", "/api/v1/allocations/"): lambda w, role: (
        Req(
            body={"project": w["project_approved_a"].pk, "line": w["line_a1"].pk, "amount": "10.00"}
        ),
        Req(
            body={"project": w["project_approved_b"].pk, "line": w["line_b1"].pk, "amount": "10.00"}
        ),
    ),
    ("GET", "/api/v1/allocations/{id}/"): _a_b("allocation_reserved"),
    ("POST", "/api/v1/allocations/{id}/submit/"): _a_b("allocation_draft"),
    ("POST", "/api/v1/allocations/{id}/release/"): lambda w, role: (
        Req(path={"id": w["allocation_reserved_a"].pk}, body={"reason": "取消"}),
        Req(path={"id": w["allocation_reserved_b"].pk}, body={"reason": "取消"}),
    ),
    ("POST", "/api/v1/contracts/"): lambda w, role: (
        Req(body=_contract_body(w, "a")),
        Req(body=_contract_body(w, "b")),
    ),
    ("GET", "/api/v1/contracts/{id}/"): _a_b("contract_signed"),
    ("POST", "/api/v1/contracts/{id}/submit/"): _a_b("contract_draft"),
    ("POST", "/api/v1/contracts/{id}/sign/"): _sign,
    ("GET", "/api/v1/contracts/{id}/scan/"): _a_b("contract_signed"),
    ("POST", "/api/v1/milestones/"): lambda w, role: (
        Req(body=_milestone_body(w, "a")),
        Req(body=_milestone_body(w, "b")),
    ),
    ("GET", "/api/v1/milestones/{id}/"): _a_b("milestone_planned"),
    ("POST", "/api/v1/milestones/{id}/progress/"): lambda w, role: (
        Req(path={"id": w["milestone_planned_a"].pk}, body={"note": "已开展三次活动"}),
        Req(path={"id": w["milestone_planned_b"].pk}, body={"note": "已开展三次活动"}),
    ),
    ("GET", "/api/v1/milestones/{id}/evidence/"): _a_b("milestone_evidenced"),
    ("POST", "/api/v1/milestones/{id}/evidence/"): _evidence_upload,
    ("GET", "/api/v1/milestones/{id}/evidence/{evidence_id}/file/"): lambda w, role: (
        Req(path={"id": w["milestone_evidenced_a"].pk, "evidence_id": w["evidence_a"].pk}),
        Req(path={"id": w["milestone_evidenced_b"].pk, "evidence_id": w["evidence_b"].pk}),
    ),
    ("POST", "/api/v1/milestones/{id}/accept/"): lambda w, role: (
        Req(
            path={"id": w["milestone_evidenced_a"].pk},
            body={"accepted_on": "2026-06-01", "note": "合格"},
        ),
        Req(
            path={"id": w["milestone_evidenced_b"].pk},
            body={"accepted_on": "2026-06-01", "note": "合格"},
        ),
    ),
    ("POST", "/api/v1/milestones/{id}/pay/"): lambda w, role: (
        Req(path={"id": w["milestone_accepted_a"].pk}, body={"idempotency_key": f"api-pay-{role}"}),
        Req(
            path={"id": w["milestone_accepted_b"].pk}, body={"idempotency_key": f"api-pay-{role}-b"}
        ),
    ),
    ("POST", "/api/v1/evaluations/"): lambda w, role: (
        Req(body=_evaluation_body(w, "a", role)),
        Req(body=_evaluation_body(w, "b", role)),
    ),
    ("GET", "/api/v1/evaluations/{id}/"): _a_b("evaluation"),
}


def _escrow_path(name, **extra):
    """In scope: township A's escrow object; out: B's (extra path params named likewise)."""
    return lambda w, role: tuple(
        Req(path={"id": w[f"{name}_{side}"].pk,
                  **{k: w[f"{v}_{side}"].pk for k, v in extra.items()}},
            body=_escrow_body(name))
        for side in ("a", "b")
    )  # fmt: skip


def _escrow_body(name):
    return {"reason": "测试"} if name in ("empty_account", "frozen_account") else None


def _escrow_step(name, body):
    return lambda w, role: tuple(
        Req(path={"id": w[f"{name}_{side}"].pk}, body=dict(body)) for side in ("a", "b")
    )


def _escrow_body_side(make):
    return lambda w, role: (Req(body=make(w, "a")), Req(body=make(w, "b")))


def _escrow_upload(w, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def one(side):
        upload = SimpleUploadedFile("票据.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
        return Req(path={"id": w[f"claim_{side}"].pk}, body={"file": upload}, multipart=True)

    return one("a"), one("b")


def _bank_import(w, role):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile

    first = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    first = first.replace(day=1)

    def one(side):
        csv = f"日期,金额\n{first.isoformat()},10.00\n".encode()
        return Req(multipart=True, body={
            "federation": w[f"federation_{side}"].pk, "file": SimpleUploadedFile("b.csv", csv),
            "year": first.year, "month": first.month, "opening_balance": "0.00",
            "closing_balance": "10.00", "mapping": '{"date": "日期", "amount": "金额"}',
        })  # fmt: skip

    return one("a"), one("b")


def _last_month():
    import datetime

    last = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    return last.year, last.month


REQUESTS.update({
    ("POST", "/api/v1/custodial-accounts/"): _escrow_body_side(lambda w, s: {
        "federation": w[f"federation_{s}"].pk, "organization": w[f"custody_org_{s}"].pk}),
    ("GET", "/api/v1/custodial-accounts/{id}/"): _a_b("escrow_account"),
    ("PATCH", "/api/v1/custodial-accounts/{id}/"): _escrow_step(
        "escrow_account", {"advance_voucher_days": 20}),
    ("GET", "/api/v1/custodial-accounts/{id}/receivable/"): _a_b("escrow_account"),
    ("POST", "/api/v1/custodial-accounts/{id}/freeze/"): _escrow_step(
        "escrow_account", {"reason": "核查"}),
    ("POST", "/api/v1/custodial-accounts/{id}/unfreeze/"): _escrow_step(
        "frozen_account", {"reason": "核查完毕"}),
    ("POST", "/api/v1/custodial-accounts/{id}/return-remainder/"): _escrow_step(
        "empty_account", {"reason": "退回"}),
    ("POST", "/api/v1/custodial-accounts/{id}/close/"): _escrow_step(
        "empty_account", {"reason": "注销"}),
    ("POST", "/api/v1/deposits/"): _escrow_body_side(lambda w, s: {
        "account": w[f"escrow_account_{s}"].pk, "kind": "other",
        "funding_source": w[f"fsource_{s}"].pk, "amount": "10.00", "payer": "捐赠人",
        "idempotency_key": f"matrix-{s}"}),
    ("POST", "/api/v1/deposits/confirm/"): _escrow_body_side(lambda w, s: {
        "transfer": w[f"receivable_transfer_{s}"], "bank_reference": f"R-{s}"}),
    ("GET", "/api/v1/deposits/{id}/"): _a_b("deposit"),
    ("POST", "/api/v1/deposits/{id}/void/"): _escrow_step("deposit", {"reason": "未到账"}),
    ("POST", "/api/v1/expense-claims/"): _escrow_body_side(lambda w, s: {
        "account": w[f"escrow_account_{s}"].pk, "title": "新报销"}),
    ("GET", "/api/v1/expense-claims/{id}/"): _a_b("claim"),
    ("PATCH", "/api/v1/expense-claims/{id}/"): _escrow_step("claim", {"title": "改名"}),
    ("POST", "/api/v1/expense-claims/{id}/lines/"): lambda w, role: tuple(
        Req(path={"id": w[f"claim_{s}"].pk}, body={
            "category": "venue", "amount": "20.00", "payee_name": "场地方",
            "payee_bank": "农业银行", "payee_account_number": "6228481234567",
            "funding_source": w[f"fsource_{s}"].pk}) for s in ("a", "b")),
    ("DELETE", "/api/v1/expense-claims/{id}/lines/{line_id}/"): _escrow_path(
        "claim", line_id="claim_line"),
    ("POST", "/api/v1/expense-claims/{id}/vouchers/"): _escrow_upload,
    ("GET", "/api/v1/expense-claims/{id}/vouchers/{voucher_id}/"): _escrow_path(
        "claim", voucher_id="voucher"),
    ("POST", "/api/v1/expense-claims/{id}/submit/"): _escrow_step("claim", {}),
    ("POST", "/api/v1/expense-claims/{id}/withdraw/"): _escrow_step("claim", {}),
    ("POST", "/api/v1/expense-claims/{id}/forward/"): _escrow_step("claim_submitted", {}),
    ("POST", "/api/v1/expense-claims/{id}/return/"): _escrow_step(
        "claim_submitted", {"reason": "请补充"}),
    ("POST", "/api/v1/expense-claims/{id}/reject/"): _escrow_step(
        "claim_submitted", {"reason": "不合规"}),
    ("POST", "/api/v1/expense-claims/{id}/pay/"): lambda w, role: tuple(
        Req(path={"id": w[f"claim_approved_{s}"].pk},
            body={"payout_reference": f"P-{s}", "idempotency_key": f"pay-{s}"})
        for s in ("a", "b")),
    ("POST", "/api/v1/statements/"): _escrow_body_side(lambda w, s: {
        "account": w[f"empty_account_{s}"].pk, "year": _last_month()[0],
        "month": _last_month()[1]}),
    ("GET", "/api/v1/statements/on-demand/"): lambda w, role: tuple(
        Req(query={"account": w[f"escrow_account_{s}"].pk, "start": "2026-01-01",
                   "end": "2026-12-31"}) for s in ("a", "b")),
    ("GET", "/api/v1/statements/{id}/"): _a_b("statement"),
    ("GET", "/api/v1/statements/{id}/download/"): lambda w, role: tuple(
        Req(path={"id": w[f"statement_{s}"].pk}, query={"file_type": "csv"})
        for s in ("a", "b")),
    ("POST", "/api/v1/bank-statements/"): _bank_import,
    ("GET", "/api/v1/bank-statements/{id}/"): _a_b("bank"),
    ("GET", "/api/v1/bank-statements/{id}/lines/"): _a_b("bank"),
    ("GET", "/api/v1/bank-statements/{id}/report/"): _a_b("bank"),
    ("POST", "/api/v1/bank-statements/{id}/matches/"): lambda w, role: tuple(
        Req(path={"id": w[f"bank_{s}"].pk}, body={
            "line": w[f"bank_loose_line_{s}"].pk,
            "transfer": w[f"bank_loose_transfer_{s}"], "reason": "人工匹配"})
        for s in ("a", "b")),
    ("POST", "/api/v1/bank-statements/{id}/matches/{match_id}/confirm/"): lambda w, role: tuple(
        Req(path={"id": w[f"bank_{s}"].pk, "match_id": w[f"bank_match_{s}"].pk}, body={})
        for s in ("a", "b")),
    ("POST", "/api/v1/bank-statements/{id}/matches/{match_id}/remove/"): lambda w, role: tuple(
        Req(path={"id": w[f"bank_{s}"].pk, "match_id": w[f"bank_match_{s}"].pk},
            body={"reason": "更正"}) for s in ("a", "b")),
    ("POST", "/api/v1/bank-statements/{id}/reconcile/"): _escrow_step("bank", {}),
})  # fmt: skip


def expected(key: tuple[str, str]) -> dict:
    """The row for one operation as {role: outcome}."""
    return dict(zip(ROLES, MATRIX[key], strict=True))
