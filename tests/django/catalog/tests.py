"""Unit tests of the catalog app (`python manage.py test`): the model, the JSON
views through Django's test client, and the quote view against a mocked pricing
call, the real pricing service run in-process, and an unreachable one."""
import json
import socket
import threading
from decimal import Decimal
from unittest import mock

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase, TestCase, override_settings

import pricing
from catalog.models import Product
from catalog.pricing_client import PricingError


class ProductModelTests(TestCase):
    fixtures = ["app"]

    def test_fixture_is_loaded_in_name_order(self):
        names = list(Product.objects.values_list("name", flat=True))
        self.assertEqual(len(names), 5)
        self.assertEqual(names, sorted(names))
        self.assertEqual(names[0], "Headlamp 400 lm")

    def test_in_stock(self):
        self.assertTrue(Product.objects.get(sku="SOCK-MER-M").in_stock)
        self.assertFalse(Product.objects.get(sku="LAMP-400").in_stock)

    def test_to_dict(self):
        self.assertEqual(
            Product.objects.get(pk=4).to_dict(),
            {
                "id": 4,
                "name": "Water bottle 750 ml",
                "sku": "BOTTLE-750",
                "price": "9.95",
                "stock": 63,
                "in_stock": True,
                "created": "2025-06-01T08:00:00Z",
            },
        )

    def test_validation_rejects_bad_sku_and_negative_price(self):
        product = Product(name="Broken", sku="bad sku", price=Decimal("-1.00"))
        with self.assertRaises(ValidationError) as caught:
            product.full_clean()
        self.assertEqual(set(caught.exception.message_dict), {"sku", "price"})

    def test_validation_rejects_a_duplicate_sku(self):
        with self.assertRaises(ValidationError) as caught:
            Product(name="Copy", sku="LAMP-400", price=Decimal("1.00")).full_clean()
        self.assertIn("sku", caught.exception.message_dict)


class ProductApiTests(TestCase):
    fixtures = ["app"]

    def post_json(self, body):
        data = body if isinstance(body, str) else json.dumps(body)
        return self.client.post("/api/products", data, content_type="application/json")

    def test_health(self):
        response = self.client.get("/health")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})

    def test_list(self):
        response = self.client.get("/api/products")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        products = response.json()["products"]
        self.assertEqual([p["sku"] for p in products][:2], ["LAMP-400", "SOCK-MER-M"])
        self.assertEqual(len(products), 5)

    def test_detail_and_missing(self):
        self.assertEqual(self.client.get("/api/products/1").json()["sku"], "SHOE-TR-42")
        response = self.client.get("/api/products/999")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"error": "product 999 not found"})

    def test_unknown_url_is_json_404(self):
        response = self.client.get("/nowhere")
        self.assertEqual(response.status_code, 404)
        self.assertIn("error", response.json())

    def test_create(self):
        response = self.post_json({"name": "Tent", "sku": "TENT-2P", "price": 249.9, "stock": 3})
        self.assertEqual(response.status_code, 201)
        body = response.json()
        self.assertEqual(response["Location"], f"/api/products/{body['id']}")
        self.assertEqual(body["price"], "249.90")
        self.assertEqual(Product.objects.get(sku="TENT-2P").price, Decimal("249.90"))
        self.assertEqual(self.client.get(response["Location"]).json(), body)

    def test_create_needs_no_csrf_token(self):
        client = self.client_class(enforce_csrf_checks=True)
        response = client.post(
            "/api/products",
            json.dumps({"name": "Cap", "sku": "CAP-1", "price": "12.00"}),
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 201)

    def test_create_rejects_invalid_json(self):
        response = self.post_json('{"name": "Tent",')
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.json()["error"].startswith("invalid JSON body"))

    def test_create_rejects_a_body_over_the_size_limit_with_json(self):
        response = self.post_json('{"name": "' + "x" * 3_000_000 + '"}')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"error": "bad request"})

    def test_create_rejects_missing_unknown_and_mistyped_fields(self):
        response = self.post_json({"sku": "X-1", "price": True, "colour": "red"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()["fields"]), {"name", "price", "colour"})

    def test_create_rejects_a_duplicate_sku(self):
        response = self.post_json({"name": "Copy", "sku": "LAMP-400", "price": "1.00"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("sku", response.json()["fields"])
        self.assertEqual(Product.objects.count(), 5)

    def test_wrong_method_is_json_405_even_with_csrf_checks(self):
        client = self.client_class(enforce_csrf_checks=True)
        response = client.delete("/api/products/1")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response["Allow"], "GET")


class QuoteWithMockedPricingTests(TestCase):
    fixtures = ["app"]

    @mock.patch("catalog.views.fetch_price")
    def test_quote_multiplies_the_unit_price(self, fetch_price):
        fetch_price.return_value = {
            "unit_price": Decimal("17.58"),
            "discount": Decimal("0.05"),
            "currency": "EUR",
        }
        response = self.client.get("/api/products/2/quote?qty=10")
        self.assertEqual(response.status_code, 200)
        fetch_price.assert_called_once_with("SOCK-MER-M", 10, Decimal("18.50"))
        self.assertEqual(response.json()["total"], "175.80")
        self.assertEqual(response.json()["currency"], "EUR")

    @mock.patch("catalog.views.fetch_price")
    def test_pricing_failure_becomes_its_status(self, fetch_price):
        fetch_price.side_effect = PricingError("pricing service unreachable: ...")
        response = self.client.get("/api/products/2/quote?qty=1")
        self.assertEqual(response.status_code, 502)
        self.assertIn("unreachable", response.json()["error"])

    def test_bad_qty_and_missing_product(self):
        for qty in ["0", "-3", "abc", "10001"]:
            with self.subTest(qty=qty):
                response = self.client.get(f"/api/products/2/quote?qty={qty}")
                self.assertEqual(response.status_code, 400)
        self.assertEqual(self.client.get("/api/products/999/quote?qty=1").status_code, 404)

    @override_settings(PRICING_URL="")
    def test_unconfigured_pricing_is_503(self):
        self.assertEqual(self.client.get("/api/products/2/quote?qty=1").status_code, 503)


class QuoteWithRealPricingServiceTests(TestCase):
    """The pricing service's own server, in a thread of this process, on a free port."""

    fixtures = ["app"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = pricing.make_server(0)
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.thread.join(timeout=5)
        super().tearDownClass()

    def test_quote_with_volume_discount(self):
        with override_settings(PRICING_URL=self.url):
            response = self.client.get("/api/products/1/quote?qty=100")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "product_id": 1,
                "sku": "SHOE-TR-42",
                "qty": 100,
                "list_price": "129.90",
                "unit_price": "116.91",
                "discount": "0.10",
                "currency": "EUR",
                "total": "11691.00",
            },
        )

    def test_unreachable_pricing_is_502(self):
        # A port that was free a moment ago: nothing listens there now.
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with override_settings(PRICING_URL=f"http://127.0.0.1:{port}"):
            response = self.client.get("/api/products/1/quote?qty=1")
        self.assertEqual(response.status_code, 502)
        self.assertIn("unreachable", response.json()["error"])


class PricingServiceTests(SimpleTestCase):
    """The pricing service's rules, without HTTP."""

    def test_discount_tiers(self):
        self.assertEqual(pricing.discount_for(1), Decimal("0.00"))
        self.assertEqual(pricing.discount_for(10), Decimal("0.05"))
        self.assertEqual(pricing.discount_for(99), Decimal("0.05"))
        self.assertEqual(pricing.discount_for(100), Decimal("0.10"))

    def test_quote_rounds_half_up_to_cents(self):
        self.assertEqual(
            pricing.quote("X", 10, Decimal("0.10")),  # 0.095 -> 0.10
            {"sku": "X", "unit_price": "0.10", "currency": "EUR", "discount": "0.05"},
        )

    def test_query_validation(self):
        self.assertEqual(
            pricing.parse_price_query("sku=A&qty=2&list_price=3.50"), ("A", 2, Decimal("3.50"))
        )
        for query in ["qty=2&list_price=1", "sku=A&qty=x&list_price=1", "sku=A&qty=0&list_price=1",
                      "sku=A&qty=1&list_price=abc", "sku=A&qty=1&list_price=-1",
                      "sku=A&qty=1&list_price=NaN"]:
            with self.subTest(query=query), self.assertRaises(pricing.BadRequest):
                pricing.parse_price_query(query)
