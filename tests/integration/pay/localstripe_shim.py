"""Run localstripe (the fake, stateful Stripe server from PyPI) on a loopback port, for the Stripe tests.

Run as a script: it binds 127.0.0.1 on a port the system chooses, prints
"localstripe listening on http://127.0.0.1:PORT" and serves until stopped.

localstripe 1.15.10 is someone else's model of Stripe's API, and it lags the
API version our pinned `stripe` library speaks. The few changes below make it
answer as Stripe's API reference says Stripe does, no more:

- PaymentIntents take `description` and `setup_future_usage` (localstripe
  refuses both as unexpected) and keep them, and take the current API's
  `allowed_payment_method_types` (localstripe knows the older name,
  `payment_method_types`).
- A refund larger than what is left unrefunded on the charge is refused with
  400 invalid_request_error, as Stripe refuses it (localstripe accepts it).
- The store is not pickled to /tmp/localstripe.pickle after every change: each
  test run starts from nothing, and parallel runs do not share a file.
- It listens on 127.0.0.1 only (localstripe's own `start()` binds every
  interface, IPv6 and IPv4).
"""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.resources import Charge, PaymentIntent, Refund, Store, try_convert_to_int

_payment_intent_init = PaymentIntent.__init__
_refund_init = Refund.__init__


def _payment_intent(
    self: Any,
    description: str | None = None,
    setup_future_usage: str | None = None,
    allowed_payment_method_types: list[str] | None = None,
    **kwargs: Any,
) -> None:
    if allowed_payment_method_types is not None:
        kwargs["payment_method_types"] = allowed_payment_method_types
    _payment_intent_init(self, **kwargs)
    self.description = description
    self.setup_future_usage = setup_future_usage


def _refund(self: Any, charge: str | None = None, payment_intent: str | None = None, **kwargs: Any) -> None:
    target = charge
    if target is None and payment_intent is not None:
        intent = PaymentIntent._api_retrieve(payment_intent)
        target = intent.latest_charge.id if intent.latest_charge is not None else None
    if target is not None:
        charged = Charge._api_retrieve(target)
        left = charged.amount - charged.amount_refunded
        wanted = try_convert_to_int(kwargs.get("amount"))
        if left <= 0:
            raise UserError(400, f"Charge {target} has already been refunded.", {"code": "charge_already_refunded"})
        if isinstance(wanted, int) and wanted > left:
            raise UserError(
                400,
                f"Refund amount ({wanted}) is greater than unrefunded amount on charge ({left})",
                {"param": "amount"},
            )
    _refund_init(self, charge=charge, payment_intent=payment_intent, **kwargs)


def main() -> None:
    PaymentIntent.__init__ = _payment_intent  # type: ignore[method-assign]
    Refund.__init__ = _refund  # type: ignore[method-assign]
    Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    resources.store.clear()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"localstripe listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
