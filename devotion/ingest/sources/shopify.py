"""Shopify: the orders export (Orders > Export) and the customers export (Customers > Export).

The orders export writes one row per line item; the order's own columns (Total, Financial
Status, Paid at, ...) are filled on its first row only, and every row repeats ``Name`` (#1001).
Consecutive rows with the same Name become one order with several lines.
"""

from __future__ import annotations

from typing import Any

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

NAME = "shopify"
LABEL = "Shopify"

# Shopify's "Source" column -> Devotion channel.
_CHANNELS = {"web": "web", "pos": "store", "shopify_draft_order": "phone", "iphone": "web"}
# Financial states that are not a purchase, with the reason given in the rejects report.
_NOT_PURCHASES = {
    "voided": "the payment was voided: not a purchase",
    "expired": "the payment expired: not a purchase",
}


def _line(row: Row) -> dict[str, Any] | None:
    sku, name = t(row, "lineitem sku"), t(row, "lineitem name")
    if not sku and not name:
        return None
    return compact(
        {
            "product_id": sku or name,
            "product_name": name,
            "quantity": t(row, "lineitem quantity") or "1",
            "unit_price": t(row, "lineitem price"),
            "discount": t(row, "lineitem discount"),
        }
    )


def _order(row: Row) -> Event:
    name = t(row, "name")
    if not name:
        raise Reject("Name (the order number, e.g. #1001) is empty")
    if t(row, "cancelled at"):
        raise Reject(f"order {name} was cancelled: not a purchase")
    status = t(row, "financial status").lower()
    if status in _NOT_PURCHASES:
        raise Reject(f"order {name}: {_NOT_PURCHASES[status]}")
    line = _line(row)
    consent = flag(row.get("accepts marketing"))
    return compact(
        {
            "kind": "order",
            "source": NAME,
            "external_id": t(row, "id") or name,
            "occurred_at": when(row, "created at", "paid at"),
            "person": compact(
                {
                    "email": t(row, "email"),
                    "phone": t(row, "phone", "billing phone", "shipping phone"),
                    "name": t(row, "billing name", "shipping name"),
                    "country": country(t(row, "billing country", "shipping country")),
                }
            ),
            "channel": _CHANNELS.get(t(row, "source").lower(), "web"),
            "amount": t(row, "total"),
            "currency": t(row, "currency"),
            "staff": t(row, "employee"),
            "lines": [line] if line else None,
            "consent": {"email": consent} if consent is not None else None,
            "extra": compact(
                {
                    "order_name": name,
                    "financial_status": status,
                    "fulfillment_status": t(row, "fulfillment status").lower(),
                    "discount_code": t(row, "discount code"),
                    "discount_amount": t(row, "discount amount"),
                    "subtotal": t(row, "subtotal"),
                    "refunded_amount": t(row, "refunded amount"),
                    "tags": t(row, "tags"),
                }
            ),
        }
    )


def _customer(row: Row) -> Event:
    email_consent = flag(row.get("accepts email marketing", row.get("accepts marketing")))
    sms_consent = flag(row.get("accepts sms marketing"))
    return compact(
        {
            "kind": "customer",
            "source": NAME,
            "person": compact(
                {
                    # Shopify prefixes the id with a quote so spreadsheets keep all its digits.
                    "external_id": t(row, "customer id").lstrip("'"),
                    "email": t(row, "email"),
                    "phone": t(row, "phone", "default address phone"),
                    "first_name": t(row, "first name"),
                    "last_name": t(row, "last name"),
                    "country": country(t(row, "default address country code", "country code")),
                }
            ),
            "consent": compact({"email": email_consent, "sms": sms_consent}),
            "facts": compact({"note": t(row, "note")[:500], "tags": t(row, "tags")[:500]}),
        }
    )


MAPPERS = {
    "orders": Mapper(
        kind="orders",
        map_row=_order,
        required=(("name",), ("created at",), ("email", "phone", "billing phone")),
        group_by="name",
        map_line=_line,
        sample="shopify_orders.csv",
        columns={
            "external_id": "Id / Name",
            "occurred_at": "Created at / Paid at",
            "person.email": "Email",
            "person.phone": "Phone / Billing Phone / Shipping Phone",
            "person.name": "Billing Name / Shipping Name",
            "consent.email": "Accepts Marketing",
            "amount": "Total",
            "currency": "Currency",
            "staff": "Employee",
            "lines.product_id": "Lineitem sku",
            "lines.product_name": "Lineitem name",
            "lines.quantity": "Lineitem quantity",
            "lines.unit_price": "Lineitem price",
            "lines.discount": "Lineitem discount",
        },
    ),
    "customers": Mapper(
        kind="customers",
        map_row=_customer,
        required=(("email", "phone", "customer id"),),
        sample="shopify_customers.csv",
        columns={
            "person.external_id": "Customer ID",
            "person.email": "Email",
            "person.phone": "Phone / Default Address Phone",
            "person.first_name": "First Name",
            "person.last_name": "Last Name",
            "consent.email": "Accepts Email Marketing",
            "consent.sms": "Accepts SMS Marketing",
        },
    ),
}
