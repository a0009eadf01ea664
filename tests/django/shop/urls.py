"""Root URL configuration of the test shop: the health check and the catalog API."""
from django.urls import include, path

from catalog import views

urlpatterns = [
    path("health", views.health, name="health"),
    path("api/", include("catalog.urls")),
]

# With DEBUG off, unknown URLs and server errors answer JSON like the rest of the API.
handler404 = "catalog.views.not_found"
handler500 = "catalog.views.server_error"
