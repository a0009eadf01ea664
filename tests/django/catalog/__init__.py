"""The `catalog` app: products, their JSON API, and quotes priced by the pricing service."""
