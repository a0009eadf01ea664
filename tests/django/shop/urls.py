"""Root URL configuration of the test shop: the health check and the catalog API."""
from django.urls import include, path

from catalog import views

urlpatterns = [
    path("health", views.health, name="health"),
    path("api/", include("catalog.urls")),
]

# With DEBUG off, unknown URLs, rejected requests (e.g. a body over Django's
# 2.5 MB limit) and server errors answer JSON like the rest of the API.
handler400 = "catalog.views.bad_request"
handler404 = "catalog.views.not_found"
handler500 = "catalog.views.server_error"
