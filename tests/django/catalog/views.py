"""JSON views of the catalog API: health, product list/detail/create, and quotes.

Every answer is JSON, errors included (``{"error": "..."}``). The API views are
CSRF-exempt: clients are programs sending JSON, not browsers posting forms.
"""
import json
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Product
from .pricing_client import PricingError, fetch_price

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_QTY = 10_000
# Fields a client may send when creating a product, and the JSON types allowed.
CREATE_FIELDS = {
    "name": (str,),
    "sku": (str,),
    "price": (str, int, float),
    "stock": (int,),
}
REQUIRED_FIELDS = ("name", "sku", "price")


def json_error(status, message, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


def method_not_allowed(request, allowed):
    response = json_error(405, f"method {request.method} not allowed")
    response["Allow"] = ", ".join(allowed)
    return response


def health(request):
    return JsonResponse({"status": "ok"})


def bad_request(request, exception=None):
    return json_error(400, "bad request")


def not_found(request, exception=None):
    return json_error(404, f"no such resource: {request.path}")


def server_error(request):
    return json_error(500, "internal server error")


@csrf_exempt
def products(request):
    """GET: every product, in the model's order. POST: create one from a JSON body."""
    if request.method == "GET":
        return JsonResponse({"products": [p.to_dict() for p in Product.objects.all()]})
    if request.method == "POST":
        return create_product(request)
    return method_not_allowed(request, ["GET", "POST"])


def create_product(request):
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as error:
        return json_error(400, f"invalid JSON body: {error}")
    if not isinstance(data, dict):
        return json_error(400, "the JSON body must be an object")

    fields = {}
    for name in data:
        if name not in CREATE_FIELDS:
            fields[name] = ["unknown field"]
    for name in REQUIRED_FIELDS:
        if name not in data:
            fields[name] = ["this field is required"]
    for name, types in CREATE_FIELDS.items():
        # bool is an int in Python; a JSON true/false is never a number here.
        value = data.get(name)
        if name in data and (isinstance(value, bool) or not isinstance(value, types)):
            fields[name] = [f"wrong type: {type(value).__name__}"]
    if fields:
        return json_error(400, "invalid product", fields=fields)

    product = Product(**data)
    if isinstance(product.price, float):
        # Via str: 19.9 becomes Decimal("19.9"), not the float's binary expansion.
        product.price = str(product.price)
    try:
        product.full_clean()  # field validators, types, and the unique SKU
    except ValidationError as error:
        return json_error(400, "invalid product", fields=error.message_dict)
    product.save()
    log.info("created product %s (%s)", product.pk, product.sku)
    response = JsonResponse(product.to_dict(), status=201)
    response["Location"] = f"/api/products/{product.pk}"
    return response


def lookup(product_id):
    try:
        return Product.objects.get(pk=product_id)
    except Product.DoesNotExist:
        return None


@csrf_exempt
def product_detail(request, product_id):
    if request.method != "GET":
        return method_not_allowed(request, ["GET"])
    product = lookup(product_id)
    if product is None:
        return json_error(404, f"product {product_id} not found")
    return JsonResponse(product.to_dict())


@csrf_exempt
def product_quote(request, product_id):
    """The price of ``qty`` units: the catalog's list price, discounted and
    put in a currency by the pricing service."""
    if request.method != "GET":
        return method_not_allowed(request, ["GET"])
    product = lookup(product_id)
    if product is None:
        return json_error(404, f"product {product_id} not found")
    raw_qty = request.GET.get("qty", "1")
    try:
        qty = int(raw_qty)
    except ValueError:
        qty = 0
    if not 1 <= qty <= MAX_QTY:
        return json_error(400, f"qty must be an integer from 1 to {MAX_QTY}, got {raw_qty!r}")

    try:
        price = fetch_price(product.sku, qty, product.price)
    except PricingError as error:
        log.warning("quote for product %s: %s", product.pk, error)
        return json_error(error.status, str(error))

    unit_price = price["unit_price"].quantize(CENT, rounding=ROUND_HALF_UP)
    return JsonResponse(
        {
            "product_id": product.pk,
            "sku": product.sku,
            "qty": qty,
            "list_price": f"{product.price:.2f}",
            "unit_price": f"{unit_price:.2f}",
            "discount": str(price["discount"]),
            "currency": price["currency"],
            "total": f"{unit_price * qty:.2f}",
        }
    )
