"""URLs of the catalog API, mounted under /api/ by shop/urls.py."""
from django.urls import path

from . import views

urlpatterns = [
    path("products", views.products, name="products"),
    path("products/<int:product_id>", views.product_detail, name="product-detail"),
    path("products/<int:product_id>/quote", views.product_quote, name="product-quote"),
]
