"""Objects of the other apps, so path parameters of their endpoints name real rows.

Each app's seed is optional: it runs when that app has its test factories. Add one
function per app; keep them small (one in-scope and one out-of-scope object each).
"""

from __future__ import annotations


def seed_other_apps(world) -> None:
    for seed in SEEDS:
        seed(world)


SEEDS: list = []
