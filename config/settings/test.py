"""Tests: run on PostgreSQL and Redis (DATABASE_URL, REDIS_URL set by scripts/test.sh)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"user": "100000/min"}

# The application's limited role: created (idempotently) and granted its privileges after the
# test database is migrated; tests/core/test_db_roles.py connects as it.
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="fundmgr_app")  # noqa: F405

# Uploads of a test run go to a throwaway folder, never into the checkout.
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="fundmgr-private-"))
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="fundmgr-media-"))
