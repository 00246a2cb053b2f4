"""The money path under load: a world built through the services, many users driving it over
HTTP at once, and the invariants checked afterwards from the database.

Used by `bench/load.py` (gunicorn workers started by scripts/prod.sh) and by
`tests/e2e/test_load_smoke.py` (a tiny run against Django's live server).

The world (`build_world`): township A's federation keeps the custodial accounts of
`members` member organizations without legal personality, each funded by a confirmed
deposit; federation staff, township and county finance officers, one representative per
member. Per account: `approved` expense claims approved (their money reserved) and waiting to
be paid, `forwarded` claims waiting for a township officer's approval — together more than the
account holds — and a custody project whose `milestones` milestones are accepted, half of them
with their payment requested (waiting for a county officer), half not yet.

The load (`drive`), all at once over HTTP with one token per user, each race started
together behind a barrier:

- two township officers approve the same claim (one wins; money runs out: overdraft 409);
  an approved claim is then paid;
- two federation staff pay the same claim with the same key and reference (a retry), then the
  key once more, then another key (refused: already paid);
- two county officers approve the same milestone payment; the money arrives in the member's
  account as receivable, and two staff confirm its arrival with the same bank reference;
- a township officer asks for a milestone's payment twice at once with the same key, then once
  more (the same payment answers), then a county officer approves it;
- every step starts with the read its user would make (the inbox, the account).

Bounded: no new request after `seconds` or `max_requests`; every request times out.
"""

from __future__ import annotations

import datetime
import random
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.db.models import Count, F, Q, Sum

from access.models import Role
from approvals import services as approvals
from approvals.models import ApprovalDecision, ApprovalRequest
from escrow import services as escrow
from escrow.models import ExpenseClaim
from ledger.models import AccountBalance, SourceBalance, Transfer
from projects import services as projects
from projects.models import Milestone, MilestonePayment, MilestonePaymentPart
from tests.escrow.factories import CLAIM_TIERS, pdf
from tests.factories import make_region_tree, make_user
from tests.federations.factories import make_membership, make_org
from tests.funds.factories import YEAR
from tests.projects.factories import make_world

PASSWORD = "load-pass-2026"
# Behind the TLS proxy production expects (config.settings.production redirects plain HTTP).
HEADERS = {"X-Forwarded-Proto": "https"}


# --------------------------------------------------------------------------- the world


@dataclass
class LoadWorld:
    staff: list[str]
    town_officers: list[str]
    county_officers: list[str]
    reps: list[str]
    accounts: list[int]  # escrow custodial account ids
    approved_claims: list[int]  # approved, waiting to be paid
    forwarded_claims: list[tuple[int, int]]  # (claim, approval request) waiting for approval
    requested_payments: list[tuple[int, int, int]]  # (payment, approval request, account)
    accepted_milestones: list[tuple[int, int]]  # (milestone, account), payment not requested
    claim_ids: list[int] = field(default_factory=list)
    milestone_ids: list[int] = field(default_factory=list)

    @property
    def users(self) -> list[str]:
        return [*self.staff, *self.town_officers, *self.county_officers, *self.reps]


def build_world(
    *, members=4, approved=3, forwarded=6, milestones=6, deposit=None,
    claim_amount="1000.00", share="500.00", officers=3, staff=3,
) -> LoadWorld:  # fmt: skip
    """Build the world through the services (call inside `core.context.acting_as`). Each
    account holds `deposit`, by default the approved claims and half the forwarded ones."""
    deposit = deposit or str(Decimal(claim_amount) * (approved + forwarded // 2))
    pw = make_world(make_region_tree())
    r = pw.r
    approvals.policy_create(actor=pw["admin"], kind=escrow.STEP_CLAIM, region=r["city"],
                            tiers=CLAIM_TIERS, reason="压力测试")  # fmt: skip
    for user in pw.u.values():
        user.set_password(PASSWORD)
        user.save()

    def user(name, role, **scope):
        return make_user(name, role, password=PASSWORD, **scope)

    staff_users = [pw["staff"]] + [
        user(f"load_staff{i}", Role.FEDERATION_STAFF, federation=r["federation_a"])
        for i in range(2, staff + 1)
    ]
    towns = [pw["town_a"]] + [
        user(f"load_town{i}", Role.FINANCE_OFFICER, region=r["town_a"])
        for i in range(2, officers + 1)
    ]
    counties = [pw["county2"]] + [
        user(f"load_county{i}", Role.FINANCE_OFFICER, region=r["county"])
        for i in range(3, officers + 2)
    ]
    orgs = [r["org_a"]] + [
        make_org(r["comm_a1" if i % 2 else "comm_a2"], f"压力测试志愿队{i}")
        for i in range(2, members + 1)
    ]
    for org in orgs[1:]:
        make_membership(r["federation_a"], org)
    source = pw.source(str(Decimal(deposit) * members * 2))
    (line,) = pw.lines(str(Decimal(share) * milestones * members))
    world = LoadWorld(staff=[u.username for u in staff_users],
                      town_officers=[u.username for u in towns],
                      county_officers=[u.username for u in counties], reps=[], accounts=[],
                      approved_claims=[], forwarded_claims=[], requested_payments=[],
                      accepted_milestones=[])  # fmt: skip
    keys = iter(range(1, 10**6))
    for n, org in enumerate(orgs, start=1):
        rep = user(f"load_rep{n}", Role.ORGANIZATION_REP, organization=org)
        world.reps.append(rep.username)
        account = escrow.account_open(actor=pw["staff"], federation_id=r["federation_a"].pk,
                                      organization_id=org.pk)  # fmt: skip
        world.accounts.append(account.pk)
        money = escrow.deposit_announce(
            actor=pw["staff"], account_id=account.pk, kind="other", funding_source_id=source.pk,
            amount=deposit, payer="东营区民政局", idempotency_key=f"load-dep-{next(keys)}",
        )  # fmt: skip
        escrow.deposit_confirm(actor=pw["staff"], transfer_id=money.transfer_id,
                               bank_reference=f"LOAD-DEP-{account.pk}")  # fmt: skip
        for i in range(approved + forwarded):
            claim = escrow.claim_create(actor=rep, account_id=account.pk, title=f"活动物资{i}")
            escrow.line_add(
                actor=rep, claim_id=claim.pk, category="materials", amount=claim_amount,
                payee_name="东营市文具店", payee_bank="中国工商银行东营分行",
                payee_account_number="6222021234567890123", funding_source_id=source.pk,
            )  # fmt: skip
            escrow.voucher_add(actor=rep, claim_id=claim.pk, file=pdf())
            escrow.claim_submit(actor=rep, claim_id=claim.pk)
            escrow.claim_forward(actor=pw["staff"], claim_id=claim.pk, reason="凭证齐全")
            claim.refresh_from_db()
            world.claim_ids.append(claim.pk)
            if i < approved:
                approvals.request_approve(actor=towns[0], request_id=claim.approval_request_id,
                                          reason="同意")  # fmt: skip
                world.approved_claims.append(claim.pk)
            else:
                world.forwarded_claims.append((claim.pk, claim.approval_request_id))
        # The member's custody project, funded from the township's line, all milestones accepted.
        pw.o["member"] = org
        project = pw.project(custody=True, title=f"{org.name}助老服务",
                             amount=str(Decimal(share) * milestones))  # fmt: skip
        pw.allocate(project, line, str(Decimal(share) * milestones))
        _contract(pw, project, Decimal(share), milestones)
        for number, milestone in enumerate(
            Milestone.objects.filter(project=project).order_by("number")
        ):
            pw.accept(milestone)
            world.milestone_ids.append(milestone.pk)
            if number % 2:
                world.accepted_milestones.append((milestone.pk, account.pk))
                continue
            payment = pw.pay(milestone, key=f"load-setup-{milestone.pk}", approve=False)
            request = ApprovalRequest.objects.get(
                owner_type="projects.milestonepayment", owner_id=payment.pk, state="pending"
            )
            world.requested_payments.append((payment.pk, request.pk, account.pk))
    return world


def _contract(pw, project, share: Decimal, count: int) -> None:
    """A signed contract with `count` milestones of `share` each (all due in December)."""
    officer = pw["town_a"]
    contract = projects.contract_create(
        actor=officer, project_id=project.pk, content="为辖区老人提供助餐服务",
        price=share * count, term_start=datetime.date(YEAR, 1, 1),
        term_end=datetime.date(YEAR, 12, 31),
    )  # fmt: skip
    for number in range(1, count + 1):
        projects.milestone_add(
            actor=officer, project_id=project.pk, number=number, title=f"第{number}阶段",
            due_on=datetime.date(YEAR, 12, 1), amount=share,
        )  # fmt: skip
    projects.contract_submit(actor=officer, contract_id=contract.pk)
    pw.approve(contract)
    projects.contract_sign(actor=officer, contract_id=contract.pk,
                           signed_on=datetime.date(YEAR, 1, 1), scan=pdf())  # fmt: skip


# --------------------------------------------------------------------------- the load


@dataclass
class Outcome:
    """What the load did: every request's (label, status, ms, code), and the keys it used."""

    records: list = field(default_factory=list)
    elapsed: float = 0.0
    claim_keys: dict = field(default_factory=dict)  # key -> (claim, [statuses])
    payment_keys: dict = field(default_factory=dict)  # key -> (milestone, [statuses])
    unexpected: list = field(default_factory=list)  # (label, status, body) not allowed by the rules
    skipped: int = 0  # requests not sent: past the time or request bound
    lock: threading.Lock = field(default_factory=threading.Lock)

    def figures(self) -> dict:
        times = sorted(ms for _, _, ms, _ in self.records)
        classes = Counter(f"{s // 100}xx" if s else "failed" for _, s, _, _ in self.records)
        codes = Counter(f"{s} {code}" for _, s, _, code in self.records if 400 <= s < 600)
        count = len(self.records)
        return {
            "requests": count,
            "requests_per_s": round(count / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": round(statistics.median(times), 1) if times else None,
            "p99_ms": round(times[min(count - 1, int(count * 0.99))], 1) if times else None,
            "errors_5xx": classes.get("5xx", 0),
            "transport_errors": classes.get("failed", 0),
            "by_status": dict(sorted(classes.items())),
            "refusals": dict(sorted(codes.items())),
            "unexpected_answers": len(self.unexpected),
            "not_sent": self.skipped,
        }


class Driver:
    def __init__(self, base_url, world: LoadWorld, *, seconds, max_requests, threads, seed=16):
        self.base = base_url.rstrip("/")
        self.world = world
        self.deadline = time.monotonic() + seconds
        self.max_requests = max_requests
        self.threads = threads
        self.random = random.Random(seed)
        self.out = Outcome()
        self.sent = 0
        self.tokens: dict[str, str] = {}
        self.local = threading.local()
        self.pending = 0
        self.idle = threading.Condition()
        self.pool: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------ http

    def login(self):
        """One token per user (the login itself is not measured)."""
        with requests.Session() as session:
            for username in self.world.users:
                response = session.post(
                    f"{self.base}/api/v1/auth/token/", headers=HEADERS, timeout=60,
                    json={"username": username, "password": PASSWORD, "name": "load"},
                )  # fmt: skip
                response.raise_for_status()
                self.tokens[username] = response.json()["token"]

    def _session(self) -> requests.Session:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        return session

    def call(self, user, method, path, body=None, *, label, allowed=(200,)):
        """One request as `user`; None when the bounds stop it. Answers outside `allowed`
        (and every 5xx) are recorded as unexpected."""
        with self.out.lock:
            if self.sent >= self.max_requests or time.monotonic() > self.deadline:
                self.out.skipped += 1
                return None
            self.sent += 1
        headers = {**HEADERS, "Authorization": f"Token {self.tokens[user]}"}
        start = time.perf_counter()
        try:
            response = self._session().request(
                method, f"{self.base}{path}", json=body, headers=headers, timeout=60
            )
            status, data = response.status_code, _json(response)
        except requests.RequestException as exc:
            status, data = 0, {"code": type(exc).__name__}
        ms = (time.perf_counter() - start) * 1000
        code = data.get("code", "") if isinstance(data, dict) else ""
        with self.out.lock:
            self.out.records.append((label, status, ms, code))
            if status not in allowed or status >= 500:
                self.out.unexpected.append((label, status, str(data)[:300]))
        return status, data

    def race(self, calls):
        """Send the calls at once (one thread each, behind a barrier): [(status, data)|None]."""
        barrier = threading.Barrier(len(calls))
        answers = [None] * len(calls)

        def one(i):
            args, kwargs = calls[i]
            try:
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
            answers[i] = self.call(*args, **kwargs)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return answers

    # ------------------------------------------------------------ jobs

    def submit(self, job, *args):
        with self.idle:
            self.pending += 1
        self.pool.submit(self._run, job, *args)

    def _run(self, job, *args):
        try:
            job(*args)
        except Exception as exc:  # noqa: BLE001 - a broken job is a finding, not a crash
            with self.out.lock:
                self.out.unexpected.append((job.__name__, -1, repr(exc)[:300]))
        finally:
            with self.idle:
                self.pending -= 1
                self.idle.notify_all()

    def two(self, users):
        return self.random.sample(users, 2) if len(users) > 1 else users * 2

    def approve_claim(self, claim, request):
        a, b = self.two(self.world.town_officers)
        self.call(a, "GET", "/api/v1/approvals/", label="inbox")
        path = f"/api/v1/approvals/{request}/approve/"
        opts = {"label": "claim approve", "allowed": (200, 409)}
        answers = self.race([((a, "POST", path, {"reason": "同意"}), opts),
                             ((b, "POST", path, {"reason": "同意"}), opts)])  # fmt: skip
        won = [x for x in answers if x and x[0] == 200]
        if len(won) > 1:
            with self.out.lock:
                self.out.unexpected.append(("claim approved twice", 200, str(request)))
        if won:
            self.submit(self.pay_claim, claim)

    def pay_claim(self, claim):
        a, b = self.two(self.world.staff)
        self.call(a, "GET", f"/api/v1/expense-claims/{claim}/", label="claim read")
        key, ref = f"load-pay-{claim}", f"LOAD-PAY-{claim}"
        path = f"/api/v1/expense-claims/{claim}/pay/"
        body = {"payout_reference": ref, "idempotency_key": key}
        opts = {"label": "claim pay", "allowed": (200,)}
        answers = self.race([((a, "POST", path, body), opts), ((b, "POST", path, body), opts)])
        answers.append(self.call(b, "POST", path, body, label="claim pay retry"))
        other = {"payout_reference": f"{ref}-B", "idempotency_key": f"{key}-B"}
        answers.append(self.call(a, "POST", path, other, label="claim pay other key",
                                 allowed=(409,)))  # fmt: skip
        with self.out.lock:
            self.out.claim_keys[key] = (claim, [x[0] for x in answers[:3] if x])
            self.out.claim_keys[other["idempotency_key"]] = (
                claim,
                [x[0] for x in answers[3:] if x],
            )

    def approve_payment(self, request, account):
        a, b = self.two(self.world.county_officers)
        self.call(b, "GET", "/api/v1/approvals/?kind=milestone_payment", label="inbox")
        path = f"/api/v1/approvals/{request}/approve/"
        opts = {"label": "payment approve", "allowed": (200, 409)}
        answers = self.race([((a, "POST", path, {"reason": "同意"}), opts),
                             ((b, "POST", path, {"reason": "同意"}), opts)])  # fmt: skip
        won = [x for x in answers if x and x[0] == 200]
        if len(won) != 1 and all(answers):
            with self.out.lock:
                self.out.unexpected.append(("payment approvals won", len(won), str(request)))
        if won:
            self.submit(self.confirm_arrivals, account)

    def request_payment(self, milestone, account):
        user = self.world.town_officers[0]  # the purchaser's officer who accepted it
        self.call(user, "GET", f"/api/v1/milestones/{milestone}/", label="milestone read")
        key = f"load-ms-{milestone}"
        path, body = f"/api/v1/milestones/{milestone}/pay/", {"idempotency_key": key}
        opts = {"label": "milestone pay", "allowed": (200, 201)}
        answers = self.race(
            [((user, "POST", path, body), opts), ((user, "POST", path, body), opts)]
        )
        answers.append(self.call(user, "POST", path, body, label="milestone pay retry",
                                 allowed=(200,)))  # fmt: skip
        with self.out.lock:
            self.out.payment_keys[key] = (milestone, [x[0] for x in answers if x])
        paid = next((x[1] for x in answers if x and x[0] in (200, 201)), None)
        if paid:
            request = (
                ApprovalRequest.objects.filter(
                    owner_type="projects.milestonepayment", owner_id=paid["id"], state="pending"
                )
                .values_list("pk", flat=True)
                .first()
            )
            if request:
                self.submit(self.approve_payment, request, account)

    def confirm_arrivals(self, account):
        a, b = self.two(self.world.staff)
        answer = self.call(a, "GET", f"/api/v1/custodial-accounts/{account}/receivable/",
                           label="receivable")  # fmt: skip
        if not answer or answer[0] != 200:
            return
        for row in answer[1]:
            body = {"transfer": row["transfer"], "bank_reference": f"LOAD-BANK-{row['transfer']}"}
            opts = {"label": "deposit confirm", "allowed": (200,)}
            self.race([((a, "POST", "/api/v1/deposits/confirm/", body), opts),
                       ((b, "POST", "/api/v1/deposits/confirm/", body), opts)])  # fmt: skip

    # ------------------------------------------------------------ run

    def run(self) -> Outcome:
        w = self.world
        jobs = [(self.approve_claim, c, r) for c, r in w.forwarded_claims]
        jobs += [(self.pay_claim, c) for c in w.approved_claims]
        jobs += [(self.approve_payment, r, a) for _, r, a in w.requested_payments]
        jobs += [(self.request_payment, m, a) for m, a in w.accepted_milestones]
        self.random.shuffle(jobs)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.threads) as self.pool:
            for job in jobs:
                self.submit(*job)
            with self.idle:
                while self.pending:
                    self.idle.wait(timeout=1)
        self.out.elapsed = time.perf_counter() - start
        return self.out


def _json(response):
    try:
        return response.json()
    except ValueError:
        return {"code": f"not json: {response.text[:80]!r}"}


def drive(base_url, world, *, seconds=60.0, max_requests=5000, threads=8) -> Outcome:
    driver = Driver(base_url, world, seconds=seconds, max_requests=max_requests, threads=threads)
    driver.login()
    return driver.run()


# --------------------------------------------------------------------------- the invariants


def check(world: LoadWorld, outcome: Outcome) -> dict:
    """The invariants, read from the database after the load."""
    negative = Q(is_guarded=True) & (Q(posted__lt=0) | Q(posted__lt=F("pending")))
    overdrawn = AccountBalance.objects.filter(negative).count()
    overdrawn += SourceBalance.objects.filter(negative).count()

    double = 0
    claims = ExpenseClaim.objects.filter(pk__in=world.claim_ids).annotate(n=Count("lines"))
    for claim in claims:
        posted = Transfer.objects.filter(
            resolution_key__startswith=f"escrow:payout:{claim.pk}:"
        ).count()
        if posted > claim.n or (posted and claim.state != "paid"):
            double += 1
    for milestone in Milestone.objects.filter(pk__in=world.milestone_ids):
        live = MilestonePayment.objects.filter(milestone=milestone).exclude(state="rejected")
        paid = MilestonePaymentPart.objects.filter(payment__milestone=milestone).aggregate(
            s=Sum("amount")
        )["s"] or Decimal(0)
        if live.count() > 1 or paid > milestone.amount:
            double += 1

    booked_twice = lost = 0
    for key, (_claim, statuses) in outcome.claim_keys.items():
        booked = ExpenseClaim.objects.filter(payout_key=key).count()
        booked_twice += booked > 1
        lost += bool(booked == 0 and any(200 <= s < 300 for s in statuses))
    for key, (_milestone, statuses) in outcome.payment_keys.items():
        booked = MilestonePayment.objects.filter(idempotency_key=key).count()
        booked_twice += booked > 1
        lost += bool(booked == 0 and any(200 <= s < 300 for s in statuses))

    decided_twice = (
        ApprovalDecision.objects.filter(verdict="approve")
        .values("requirement")
        .annotate(n=Count("id"), needed=F("requirement__needed"))
        .filter(n__gt=F("needed"))
        .count()
    )
    return {
        "overdrawn_accounts": overdrawn,
        "double_paid": double,
        "keys_booked_twice": booked_twice,
        "keys_answered_but_not_booked": lost,
        "requests_decided_twice": decided_twice,
        "claims_paid": ExpenseClaim.objects.filter(pk__in=world.claim_ids, state="paid").count(),
        "milestones_paid": MilestonePayment.objects.filter(
            milestone_id__in=world.milestone_ids, state="paid"
        ).count(),
    }


INVARIANTS = ("errors_5xx", "transport_errors", "overdrawn_accounts", "double_paid",
              "keys_booked_twice", "keys_answered_but_not_booked", "requests_decided_twice",
              "unexpected_answers")  # fmt: skip


def failures(result: dict) -> list[str]:
    bad = [name for name in INVARIANTS if result.get(name)]
    bad += [name for name in ("ledger_verify", "audit_verify") if result.get(name) != "ok"]
    return bad
