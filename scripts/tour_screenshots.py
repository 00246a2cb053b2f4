"""Screenshots of the guided tour (docs/tour.md → docs/tour/*.png), regenerated on demand.

    .venv/bin/python scripts/tour_screenshots.py               # a fresh demo year (a few minutes)
    .venv/bin/python scripts/tour_screenshots.py --db db.sqlite3   # an already seeded demo

It serves the demo (`runserver` on SQLite, DEBUG off), logs in with each demo login the tour
names, opens the tour's pages in Debian's Chromium (Playwright, `/usr/bin/chromium` or
CHROMIUM; no browser is downloaded), checks that each page answers 200 with its Chinese
heading and no untranslated leak, and saves the screenshot. Exits 1 when a page fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "tour"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "demo-pass-2026"
TRAIL = (
    "import json; from federations.models import Region; "
    "from config.demo_year.tour import trail; "
    "print(json.dumps(trail({year}, Region.objects.get(name='文汇街道')), ensure_ascii=False))"
)
LEAKS = re.compile(r"\b(None|field|Forbidden|HISTORY_\w+)\b|\b[A-Z][a-z]+ [a-z]+ [a-z]+\b")


def pages(t: dict) -> list[tuple[str, str, str, list[str]]]:
    """(file, login, path, texts the page must show) in the tour's order."""
    project = t["project"]
    return [
        ("01-source.png", "finance.county", f"/admin/funds/fundingsource/{t['source']}/change/",
         ["资金来源", "社区公益事业补助资金"]),
        ("02-budget.png", "finance.county", f"/admin/funds/budget/{t['budget']}/change/",
         ["年度预算", "文汇街道"]),
        ("03-allocations.png", "finance.county",
         f"/admin/projects/allocation/?project__id__exact={project}", ["资金安排"]),
        ("04-project.png", "finance.county", f"/admin/projects/project/{project}/change/",
         ["购买服务项目", t["project_title"]]),
        ("05-payments.png", "finance.county",
         f"/admin/projects/milestonepayment/?project__id__exact={project}", ["阶段付款"]),
        ("06-inbox.png", "finance.county", "/admin/approvals/approvalrequest/inbox/",
         ["待我审批"]),
        ("07-custodial-account.png", "federation",
         f"/admin/escrow/custodialaccount/{t['custodial_account']}/change/", ["代管账户"]),
        ("08-claim.png", "federation", f"/admin/escrow/expenseclaim/{t['claim']}/change/",
         ["报销单", "长者助餐食材采购", t["payee"]]),
        ("09-project-history.png", "auditor", f"/admin/projects/project/{project}/history/",
         ["历史"]),
        ("10-api-account.png", "auditor",
         f"/api/v1/ledger/accounts/{t['custodial_ledger_account']}/?format=json",
         ["by_source", f'"source_account":{t["source_account"]}']),
        ("11-api-transfers.png", "auditor",
         f"/api/v1/ledger/transfers/?account={t['custodial_ledger_account']}&format=json",
         ["source_account", f'"id":{t["claim_reservation"]}']),
    ]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(db: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=f"sqlite:///{db}",
               DEBUG="false", PYTHONUNBUFFERED="1")  # fmt: skip
    return env


def _manage(env, *args, capture=True) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=capture, text=True)  # fmt: skip
    return done.stdout or ""


def _login(page, base, username):
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def shoot(base: str, trail: dict) -> list[str]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        contexts = {}
        for name, login, path, texts in pages(trail):
            if login not in contexts:
                context = browser.new_context(
                    locale="zh-CN", viewport={"width": 1400, "height": 1000},
                    extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
                )  # fmt: skip
                page = context.new_page()
                _login(page, base, login)
                contexts[login] = page
            page = contexts[login]
            response = page.goto(base + path)
            pretty = page.locator("input[type=checkbox]")
            if path.startswith("/api/") and pretty.count():
                pretty.first.click()  # Chromium's JSON view, indented
                page.wait_for_timeout(300)
            body = page.inner_text("body")
            if path.startswith("/api/"):
                body = re.sub(r"\s+", "", body)
            if response is None or response.status != 200:
                problems.append(f"{name}: {path} answered {response and response.status}")
            for text in texts:
                if text not in body:
                    problems.append(f"{name}: {path} does not show {text!r}")
            if not path.startswith("/api/"):
                main = page.inner_text("#content") if page.locator("#content").count() else body
                for leak in LEAKS.findall(main):
                    problems.append(f"{name}: {path} shows untranslated {leak!r}")
            height = page.evaluate("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": 0, "width": 1400, "height": min(height, 2000)}
            page.screenshot(path=str(OUT / name), full_page=True, clip=clip)
            print(f"{name}  {login:<15} {path}")
        browser.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an already seeded demo database (SQLite)")
    parser.add_argument("--year", type=int, default=int(time.strftime("%Y")))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db.resolve() if args.db else Path(tmp) / "tour.sqlite3"
        env = _env(db)
        if not args.db:
            _manage(env, "migrate", "--noinput", "-v0")
            _manage(env, "seed_demo", "--year", str(args.year), capture=False)
        trail = json.loads(
            _manage(env, "shell", "-c", TRAIL.format(year=args.year)).splitlines()[-1]
        )
        if not trail:
            print("the tour's project is missing: seed with `seed_demo --year`", file=sys.stderr)
            return 1
        print(json.dumps(trail, ensure_ascii=False))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--insecure",
             f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"{base}/admin/login/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            problems = shoot(base, trail)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
