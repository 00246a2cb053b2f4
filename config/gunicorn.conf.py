"""gunicorn's settings for the web processes: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

The API bounds what a request may send itself (core/api/limits.py), in the common error
shape: a query string past API_MAX_QUERY_STRING (2,048 characters) is a 400, a body past
its bound a 413. gunicorn's own bounds sit above those, so its bare responses (414 for a
request line, 400 for headers) only meet requests no client of the API sends; the OpenAPI
schema documents the 414 all the same.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Method, path, query string and protocol: 8,190 bytes is gunicorn's maximum.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
