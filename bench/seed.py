"""Seeding a full demo year on SQLite: `seed_demo --year` on a fresh, migrated database.

    python bench/seed.py            # the current year (as scripts/demo.sh)
    SEED_YEAR=2026 python bench/seed.py

Figures:

- seconds: wall time of `manage.py seed_demo --year Y` (the plain demo and the year);
- cpu_seconds: its processor time (the machine may be shared: wall time then grows);
- second_run_seconds: the same command again (nothing new: everything is found);
- counts / states: what the database holds after the first run (config.demo_year.counts);
- same_after_second_run, every_state_present, ledger_ok: the checks the SQLite test makes
  on a small year, here on the full one (the process exits 1 when one fails).

The last line printed is one JSON object.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (
    "import json; from config.demo_year import counts, EVERY_STATE; "
    "from ledger.verification import verify_ledger; from core import verification; "
    "r = verify_ledger(seal=False); "
    "print(json.dumps({**counts(), 'ledger_ok': r.status != verification.FAILED "
    "and not r.problems, 'every': {k: sorted(v) for k, v in EVERY_STATE.items()}}))"
)


def manage(env, *args) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return round(seconds, 1), round(cpu, 1), done.stdout


def main() -> int:
    year = os.environ.get("SEED_YEAR") or time.strftime("%Y")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "REDIS_URL": "",
            "DEBUG": "false",
        }
        manage(env, "migrate", "--noinput", "-v0")
        seconds, cpu, _out = manage(env, "seed_demo", "--year", year, "--no-progress")
        first = json.loads(manage(env, "shell", "-c", COUNTS)[2].strip().splitlines()[-1])
        again, _cpu, _out = manage(env, "seed_demo", "--year", year, "--no-progress")
        second = json.loads(manage(env, "shell", "-c", COUNTS)[2].strip().splitlines()[-1])
    every = first.pop("every")
    second.pop("every")
    missing = {
        label: sorted(set(states) - set(first["states"].get(label, {})))
        for label, states in every.items()
        if set(states) - set(first["states"].get(label, {}))
    }
    result = {
        "year": int(year),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "second_run_seconds": again,
        "counts": first["counts"],
        "states": first["states"],
        "same_after_second_run": first == second,
        "every_state_present": not missing,
        "missing_states": missing,
        "ledger_ok": first["ledger_ok"],
    }
    print(json.dumps(result, ensure_ascii=False))
    ok = result["same_after_second_run"] and result["every_state_present"] and result["ledger_ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
