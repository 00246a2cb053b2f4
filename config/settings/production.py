"""Production: secrets and hosts come from the environment, with no default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

# No silent fallback to the demo's SQLite file and in-process tasks: production names its
# database and its Redis (broker, cache, sessions), or refuses to start.
for _name in ("DATABASE_URL", "REDIS_URL"):
    if not env(_name, default=""):
        raise ImproperlyConfigured(
            f"Set the {_name} environment variable: production settings do not fall back to "
            "SQLite and in-process tasks."
        )

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Two roles (docs/database-roles.md): DATABASE_URL connects as the application's limited
# role, DATABASE_OWNER_URL is the owner `migrate` uses. The application never runs as the owner.
if not DATABASE_OWNER_URL:  # noqa: F405
    raise ImproperlyConfigured(
        "Set DATABASE_OWNER_URL (the owner role, for migrate); DATABASE_URL names the "
        "application's limited role (docs/database-roles.md)."
    )
if DATABASE_APP_ROLE == env.db_url_config(DATABASE_OWNER_URL).get("USER"):  # noqa: F405
    raise ImproperlyConfigured(
        "DATABASE_URL and DATABASE_OWNER_URL name the same role: the application must connect "
        "as a limited role (docs/database-roles.md)."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Static files served by the web process itself (after collectstatic).
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405
