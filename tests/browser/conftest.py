"""Browser tests: the seeded SQLite demo served by runserver, driven by Debian's Chromium.

The server is the README's demo path (`migrate`, `seed_demo`, `runserver` on SQLite with
in-process tasks) in a temporary folder, started once per session. Chromium is the system
package (`scripts/setup.sh` installs it); Playwright drives it through its executable path
and never downloads a browser. Screenshots of failing pages go to `artifacts/browser/`.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "artifacts" / "browser"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_env(db_file: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{db_file}",
        DEBUG="false",  # the error pages users see, not Django's technical ones
        PYTHONUNBUFFERED="1",
    )
    return env


MANAGE = [sys.executable, str(ROOT / "manage.py")]


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory) -> tuple[Path, dict]:
    """The demo's folder and environment (its SQLite file), shared by the server and by
    tests that prepare data through the services (`in_demo`)."""
    folder = tmp_path_factory.mktemp("demo")
    return folder, _demo_env(folder / "demo.sqlite3")


def in_demo(demo_env, code: str) -> str:
    """Run Python in the demo's environment (`manage.py shell -c`): its standard output."""
    _folder, env = demo_env
    done = subprocess.run([*MANAGE, "shell", "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def demo_server(demo_env):
    """Base URL of the seeded demo, served by runserver on SQLite."""
    folder, env = demo_env
    manage = MANAGE
    for step in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
        subprocess.run([*manage, *step], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/admin/login/", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        else:
            pytest.fail("the demo server did not answer")
        if server.poll() is not None:
            pytest.fail("the demo server stopped: " + (folder / "server.log").read_text())
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def chromium():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"{CHROMIUM} is missing: run `bash scripts/setup.sh` (installs Debian's chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def screenshots():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_collection_modifyitems(items):
    """The first browser test also waits for the demo to be migrated and seeded (a minute
    or two on a busy machine): a longer limit than the suite's 300 s."""
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.timeout(900))
