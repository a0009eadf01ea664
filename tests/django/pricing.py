#!/usr/bin/env python3
"""The pricing service: the second local service the test shop calls for quotes.

Stdlib only. ``python pricing.py --port N [--max-seconds S]`` serves on
127.0.0.1:N (N = 0: a free port chosen by the kernel) and prints one line
``READY http://127.0.0.1:PORT`` on stdout, flushed, once it accepts connections.
It exits by itself after ``--max-seconds`` (default 600), so a test that loses
track of it cannot leave it running for long.

  GET /health                              -> {"status": "ok"}
  GET /price?sku=X&qty=N&list_price=P      -> {"sku", "unit_price", "currency", "discount"}

The unit price is the list price less a volume discount (below); money and
rates are JSON strings with exact decimals.
"""
import argparse
import json
import signal
import sys
import threading
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CURRENCY = "EUR"
# (minimum quantity, discount rate), highest threshold first.
DISCOUNT_TIERS = [(100, Decimal("0.10")), (10, Decimal("0.05")), (1, Decimal("0.00"))]
MAX_QTY = 1_000_000


def discount_for(qty):
    for threshold, rate in DISCOUNT_TIERS:
        if qty >= threshold:
            return rate
    raise ValueError(f"qty must be at least 1, got {qty}")


def quote(sku, qty, list_price):
    """The answer to /price, as a dict ready for JSON."""
    rate = discount_for(qty)
    unit_price = (list_price * (1 - rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"sku": sku, "unit_price": f"{unit_price:.2f}", "currency": CURRENCY, "discount": str(rate)}


class BadRequest(Exception):
    pass


def parse_price_query(query):
    """sku, qty and list_price from a /price query string; BadRequest if any is wrong."""
    params = parse_qs(query)

    def one(name):
        values = params.get(name)
        if not values or not values[0]:
            raise BadRequest(f"missing query parameter '{name}'")
        return values[0]

    sku = one("sku")
    try:
        qty = int(one("qty"))
    except ValueError:
        raise BadRequest("qty must be an integer") from None
    if not 1 <= qty <= MAX_QTY:
        raise BadRequest(f"qty must be from 1 to {MAX_QTY}")
    try:
        list_price = Decimal(one("list_price"))
    except InvalidOperation:
        raise BadRequest("list_price must be a decimal number") from None
    if not list_price.is_finite() or list_price < 0:
        raise BadRequest("list_price must be a finite, non-negative number")
    return sku, qty, list_price


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 with Content-Length on every answer: clients may keep the
    # connection alive. An idle connection is dropped after `timeout` seconds.
    protocol_version = "HTTP/1.1"
    timeout = 30
    server_version = "pricing/1"

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/health":
            self.send_json(200, {"status": "ok"})
        elif url.path == "/price":
            try:
                sku, qty, list_price = parse_price_query(url.query)
            except BadRequest as error:
                self.send_json(400, {"error": str(error)})
                return
            self.send_json(200, quote(sku, qty, list_price))
        else:
            self.send_json(404, {"error": f"no such resource: {url.path}"})

    def send_json(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        sys.stderr.write(f"pricing: {self.address_string()} {format % args}\n")
        sys.stderr.flush()


class Stop(Exception):
    """Raised in the main thread by SIGTERM or SIGINT."""


def stop_on_signal(signum, frame):
    raise Stop(signal.Signals(signum).name)


def make_server(port):
    """A server bound to 127.0.0.1:port (0: any free port), not yet serving."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True  # open keep-alive connections never block the exit
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1; 0 for a free one")
    parser.add_argument(
        "--max-seconds", type=float, default=600, help="exit after this long (default 600)"
    )
    args = parser.parse_args(argv)

    # SIGTERM (how a supervisor stops it) ends the serving loop like Ctrl-C:
    # the socket is closed and the exit status is 0.
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    try:
        server = make_server(args.port)
    except OSError as error:  # e.g. the port is taken: say so in one line
        print(f"pricing: cannot listen on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    # The socket already listens (bind + listen happen in the constructor), so
    # a client that reads this line can connect at once.
    port = server.server_address[1]
    print(f"READY http://127.0.0.1:{port}", flush=True)

    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever(poll_interval=0.2)
    except Stop:
        pass
    finally:
        timer.cancel()
        server.server_close()
    print("pricing: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
