"""Settings of the test shop: the Django project shakedown's integration tests run.

Minimal on purpose: one app, SQLite (``testserver`` and ``test`` create their own
test database, in memory, and load fixtures into it), JSON views only, no admin,
no auth, no templates, no static files.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# A fixed key: this project only ever runs on loopback, in tests.
SECRET_KEY = "shakedown-test-shop-not-a-secret"

# Off by default, as on a deployment: errors are JSON or plain 500s, not debug
# pages. SHOP_DEBUG=1 turns Django's debug pages on when working by hand.
DEBUG = os.environ.get("SHOP_DEBUG") == "1"

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = ["catalog"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    # On, as in a real project; the JSON API views are exempt (catalog/views.py).
    "django.middleware.csrf.CsrfViewMiddleware",
]

ROOT_URLCONF = "shop.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

# `python manage.py test` finds fixtures here by name ("app"), the same file
# that `testserver fixtures/app.json` loads.
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# The second local service (tests/django/pricing.py), e.g. http://127.0.0.1:8001.
# Unset: the quote endpoint answers 503 "pricing service not configured".
PRICING_URL = os.environ.get("PRICING_URL", "")
# Seconds for connecting to and reading from the pricing service.
PRICING_TIMEOUT = float(os.environ.get("PRICING_TIMEOUT", "2"))

# Server errors go to stderr even with DEBUG off (Django's default would mail
# them to ADMINS), so they show in the server log that shakedown captures.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "catalog": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
