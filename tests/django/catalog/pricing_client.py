"""HTTP client for the pricing service (tests/django/pricing.py), stdlib only.

One call, ``fetch_price``: GET {PRICING_URL}/price?sku=..&qty=..&list_price=..,
bounded by ``PRICING_TIMEOUT``. Every way the call can fail is turned into a
``PricingError`` so the view can answer 502/503/504 instead of a 500.
"""
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation

from django.conf import settings

# No proxy handler: the service is on loopback, and an http_proxy variable in
# the environment must not send the call anywhere else.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class PricingError(Exception):
    """The pricing service could not give a usable answer; ``status`` is the
    HTTP status the API should answer with."""

    def __init__(self, message, status=502):
        super().__init__(message)
        self.status = status


def fetch_price(sku, qty, list_price):
    """Ask the pricing service for the unit price of ``qty`` units of ``sku``.

    Returns a dict with ``unit_price`` and ``discount`` as Decimals and
    ``currency`` as a string.
    """
    base = settings.PRICING_URL.rstrip("/")
    if not base:
        raise PricingError("pricing service not configured (PRICING_URL is unset)", status=503)
    query = urllib.parse.urlencode({"sku": sku, "qty": qty, "list_price": f"{list_price:.2f}"})
    url = f"{base}/price?{query}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _opener.open(request, timeout=settings.PRICING_TIMEOUT) as response:
            body = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        raise PricingError(f"pricing service answered {error.code} for {url}") from error
    except (TimeoutError, socket.timeout) as error:
        raise PricingError(f"pricing service timed out: {url}", status=504) from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise PricingError(f"pricing service timed out: {url}", status=504) from error
        raise PricingError(f"pricing service unreachable: {url}: {error.reason}") from error
    except OSError as error:  # e.g. a reset while reading the body
        raise PricingError(f"pricing service connection failed: {url}: {error}") from error

    try:
        data = json.loads(body)
        return {
            "unit_price": Decimal(str(data["unit_price"])),
            "discount": Decimal(str(data["discount"])),
            "currency": str(data["currency"]),
        }
    except (ValueError, KeyError, TypeError, InvalidOperation) as error:
        raise PricingError(f"pricing service sent an unusable answer: {body[:200]!r}") from error
