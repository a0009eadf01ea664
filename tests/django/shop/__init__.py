"""The `shop` project package: settings and the root URL configuration."""
