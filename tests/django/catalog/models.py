"""The catalog's one model: a product with a SKU, a price and a stock count."""
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,31}$"


class Product(models.Model):
    name = models.CharField(max_length=100)
    sku = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(SKU_PATTERN, "3 to 32 characters: upper-case letters, digits, '-'.")
        ],
    )
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    stock = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        # The API lists products in this order (name, then id for equal names).
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.sku} {self.name}"

    @property
    def in_stock(self):
        return self.stock > 0

    def to_dict(self):
        """The product as the API shows it: money as a string with two decimals
        (exact, no float rounding), the creation time in ISO 8601 UTC."""
        return {
            "id": self.pk,
            "name": self.name,
            "sku": self.sku,
            "price": f"{self.price:.2f}",
            "stock": self.stock,
            "in_stock": self.in_stock,
            "created": self.created.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z"),
        }
