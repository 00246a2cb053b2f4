"""Every admin page each demo role can reach, in headless Chromium, in Chinese.

A page fails on a 4xx/5xx answer, a console or page error, an English word from the list
of known leaks, or a raw choice code where its label belongs. Failing pages are
photographed into artifacts/browser/ (kept by CI)."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from access.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

ROLES = ["admin", "finance.county", "finance.town", "federation", "orgrep", "auditor"]

# English that has leaked into zh-hans pages before (case-sensitive where a word is a value).
LEAKS = [
    re.compile(r"(?<![A-Za-z_])field(?![A-Za-z])", re.I),
    re.compile(r"(?<![A-Za-z_])(None|True|False)(?![A-Za-z])"),
    re.compile(r"HISTORY_"),
    re.compile(r"Forbidden|Not Found|Server Error|Bad Request", re.I),
    re.compile(r"Access (attempts?|failures?|logs?)", re.I),
    re.compile(r"(?<![A-Za-z_])Groups?(?![A-Za-z])"),
    re.compile(r"Change reason|demo data", re.I),
    # An untranslated phrase: three English words in a row.
    re.compile(r"(?<![\w.:/-])[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}(?![\w.:/-])"),
]
# Query keys that lead to another page rather than a filter or a sort of the same list.
FOLLOWED_KEYS = {"cursor", "model", "object_id", "from_version", "to_version"}
SKIPPED = re.compile(
    r"/(add|delete|logout|password|autocomplete|r|jsi18n)/|export|template\.|/i18n/|/download/"
)
MAX_PAGES = 120


def choice_codes() -> set[str]:
    """Every stored choice value of the project's models that reads as an English word."""
    codes = set()
    for app in settings.PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                for value, _label in getattr(field, "choices", None) or []:
                    if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]{3,}", value):
                        codes.add(value)
    return codes - set(ROLES)  # usernames are shown as themselves


def pattern(url: str) -> tuple:
    """Pages of one kind (one model's change page, one timeline page...) are loaded once."""
    parts = urlsplit(url)
    keys = tuple(sorted({k for k, _v in parse_qsl(parts.query)}))
    return re.sub(r"/\d+/", "/N/", parts.path), keys


def follow(base: str, href: str | None) -> str | None:
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return None
    if href.startswith("http"):
        if not href.startswith(base):
            return None
        href = href[len(base) :]
    if href.startswith("?"):
        return None  # resolved by the caller against the page's path
    if not href.startswith("/admin/") or SKIPPED.search(href):
        return None
    query = urlsplit(href).query
    if query and not {k for k, _v in parse_qsl(query)} <= FOLLOWED_KEYS:
        return None
    return href


def problems_of(text: str, codes: set[str]) -> list[str]:
    found, found_words = [], set()
    for leak in LEAKS:
        for m in leak.finditer(text):
            if m.group(0) in found_words:
                continue
            found_words.add(m.group(0))
            start = max(m.start() - 30, 0)
            found.append(f"English leak {m.group(0)!r}: …{text[start : m.end() + 30]!r}…")
    for token in re.findall(r"[A-Za-z0-9_:.\-/@]+", text):
        if token in codes:
            found.append(f"raw choice code {token!r}")
    return found


def login(page, base, username):
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def crawl(chromium, base, username, start: list[str], screenshots) -> tuple[list, list]:
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, username)
    codes = choice_codes()
    queue, seen, visited, failures = [(url, "start") for url in start], set(), [], []
    while queue and len(visited) < MAX_PAGES:
        url, referrer = queue.pop(0)
        key = pattern(url)
        if key in seen:
            continue
        seen.add(key)
        errors.clear()
        response = page.goto(base + url)
        page.wait_for_load_state("load")
        visited.append(url)
        found = []
        if response is None or response.status >= 400:
            found.append(f"HTTP {response.status if response else 'no response'}")
        found += [f"console: {e}" for e in errors]
        if page.evaluate("document.documentElement.lang") != "zh-hans":
            found.append("page not in zh-hans")
        found += problems_of(page.inner_text("body"), codes)
        if found:
            name = re.sub(r"[^A-Za-z0-9]+", "-", f"{username}{url}").strip("-")[:150]
            page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
            unique = list(dict.fromkeys(found))
            failures.append((url, [f"linked from {referrer}", *unique[:8]]))
        path = urlsplit(url).path
        for href in page.eval_on_selector_all(
            "#content a[href], #content-main a[href], .object-tools a[href], #nav-sidebar a[href]",
            "els => els.map(e => e.getAttribute('href'))",
        ):
            if href and href.startswith("?"):
                href = path + href
            target = follow(base, href)
            if target and pattern(target) not in seen:
                queue.append((target, url))
    context.close()
    return visited, failures


@pytest.mark.parametrize("username", ROLES)
def test_every_reachable_admin_page(chromium, demo_server, screenshots, username):
    start = ["/admin/", "/admin/federations/organization/targets/"]
    if username in ("admin", "auditor"):
        start.append(reverse("admin:audit_timeline"))
    visited, failures = crawl(chromium, demo_server, username, start, screenshots)
    assert len(visited) > 5, visited
    assert not failures, "\n".join(f"{url}: {found}" for url, found in failures)


def test_targets_report_opens_on_the_users_scope_and_fits(chromium, demo_server, screenshots):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    login(page, demo_server, "finance.county")
    page.goto(demo_server + "/admin/federations/organization/targets/")
    try:
        assert page.locator("#target-chart rect").count() > 0  # not blank until a region is picked
        assert page.get_attribute("input[name=on]", "type") == "date"
        assert "YYYY-MM-DD" in page.inner_text("body")
        overflow = page.evaluate(
            """() => {
                const svg = document.querySelector('#target-chart');
                const right = svg.getBoundingClientRect().right;
                return [...svg.querySelectorAll('text')]
                    .map(t => t.getBoundingClientRect().right - right)
                    .filter(d => d > 0.5);
            }"""
        )
        assert overflow == [], "chart labels cut off on the right"
    except AssertionError:
        page.screenshot(path=str(screenshots / "targets-report.png"), full_page=True)
        raise
    finally:
        context.close()
