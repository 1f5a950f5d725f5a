"""Stripe: the payments (charges) export and the customers export from the Dashboard.

Only charges that succeeded become orders; the rejects report says why each other one did not
(failed, refunded in full, still pending, or authorised but never captured).
"""

from __future__ import annotations

from devotion.ingest.sources.base import (
    Event,
    Mapper,
    Reject,
    Row,
    compact,
    country,
    flag,
    when,
)
from devotion.ingest.sources.base import text as t

NAME = "stripe"
LABEL = "Stripe"

_PAID = {"paid", "succeeded"}
_NOT_PAID = {
    "failed": "the charge failed: not a purchase",
    "refunded": "the charge was refunded in full: not a purchase",
    "pending": "the charge is still pending: import it again once it has succeeded",
    "canceled": "the charge was canceled: not a purchase",
}


def _charge(row: Row) -> Event:
    charge_id = t(row, "id")
    if not charge_id:
        raise Reject("id (the charge id, ch_...) is empty")
    status = t(row, "status").lower()
    if "status" in row and status not in _PAID:
        reason = _NOT_PAID.get(status) or f"status {status or 'empty'!r} is not Paid or succeeded"
        detail = t(row, "seller message")
        raise Reject(f"{reason} ({detail})" if detail and status == "failed" else reason)
    if flag(row.get("captured")) is False:
        raise Reject("the charge was authorised but never captured: not a purchase")
    return compact(
        {
            "kind": "order",
            "source": NAME,
            "external_id": charge_id,
            "occurred_at": when(row, "created date (utc)", "created (utc)", "created"),
            "person": compact(
                {
                    "email": t(row, "customer email", "receipt email"),
                    "external_id": t(row, "customer id"),
                    "name": t(row, "card name", "customer description"),
                    "country": country(t(row, "card address country", "card issue country")),
                }
            ),
            "channel": "web",
            "amount": t(row, "amount"),
            "currency": t(row, "currency"),
            "extra": compact(
                {
                    "description": t(row, "description")[:500],
                    "amount_refunded": t(row, "amount refunded"),
                    "payment_intent": t(row, "paymentintent id"),
                    "invoice": t(row, "invoice id"),
                }
            ),
        }
    )


def _customer(row: Row) -> Event:
    created = t(row, "created (utc)", "created")
    return compact(
        {
            "kind": "customer",
            "source": NAME,
            "occurred_at": when(row, "created (utc)", "created") if created else None,
            "person": compact(
                {
                    "external_id": t(row, "id"),
                    "email": t(row, "email"),
                    "phone": t(row, "phone"),
                    "name": t(row, "name", "description"),
                    "country": country(t(row, "address country", "card address country")),
                }
            ),
        }
    )


MAPPERS = {
    "orders": Mapper(
        kind="orders",
        map_row=_charge,
        required=(
            ("id",),
            ("created date (utc)", "created (utc)", "created"),
            ("amount",),
            ("customer email", "customer id"),
        ),
        sample="stripe_charges.csv",
        columns={
            "external_id": "id",
            "occurred_at": "Created date (UTC)",
            "amount": "Amount",
            "currency": "Currency",
            "person.email": "Customer Email",
            "person.external_id": "Customer ID",
            "person.name": "Card Name / Customer Description",
        },
    ),
    "customers": Mapper(
        kind="customers",
        map_row=_customer,
        required=(("id",),),
        sample="stripe_customers.csv",
        columns={
            "occurred_at": "Created (UTC)",
            "person.external_id": "id",
            "person.email": "Email",
            "person.phone": "Phone",
            "person.name": "Name / Description",
        },
    ),
}
