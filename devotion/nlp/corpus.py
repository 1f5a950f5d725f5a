"""Reading the permissively licensed labelled texts the shipped sentiment model is built from.

Only data whose licence lets us ship what is derived from it is read here:

- Women's E-Commerce Clothing Reviews (CC0): a review's stars give its label (1-2 negative,
  3 neutral, 4-5 positive); its title alone is a second, short example with the same label.
- BANKING77 (CC BY 4.0, Casanueva et al. 2020): support queries; an intent that reports a
  problem (a declined payment, a card that never came) is negative, one that asks how to do
  something is neutral, the few that mix both are left out (:data:`PROBLEM_INTENTS`,
  :data:`MIXED_INTENTS`).
- CFPB consumer complaint narratives (US public domain): negative.

The airline tweets (CC BY-NC-SA) are never read here: they are for benchmarks only.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

PROBLEM_INTENTS = frozenset(
    [
        "card_not_working",
        "lost_or_stolen_card",
        "pin_blocked",
        "contactless_not_working",
        "wrong_amount_of_cash_received",
        "transfer_not_received_by_recipient",
        "top_up_reverted",
        "balance_not_updated_after_cheque_or_cash_deposit",
        "balance_not_updated_after_bank_transfer",
        "card_payment_not_recognised",
        "unable_to_verify_identity",
        "compromised_card",
        "direct_debit_payment_not_recognised",
        "declined_cash_withdrawal",
        "lost_or_stolen_phone",
        "declined_transfer",
        "Refund_not_showing_up",
        "declined_card_payment",
        "card_swallowed",
        "transaction_charged_twice",
        "failed_transfer",
        "wrong_exchange_rate_for_cash_withdrawal",
        "top_up_failed",
        "cash_withdrawal_not_recognised",
        "card_payment_wrong_exchange_rate",
        "extra_charge_on_statement",
        "virtual_card_not_working",
        "beneficiary_not_allowed",
        "reverted_card_payment?",
    ]
)
MIXED_INTENTS = frozenset(
    [
        "card_arrival",
        "pending_cash_withdrawal",
        "pending_top_up",
        "pending_card_payment",
        "pending_transfer",
        "request_refund",
        "transfer_fee_charged",
        "card_payment_fee_charged",
        "cash_withdrawal_charge",
        "exchange_charge",
        "top_up_by_card_charge",
        "top_up_by_bank_transfer_charge",
        "terminate_account",
    ]
)


def _stars(rating: str) -> str | None:
    try:
        stars = int(rating)
    except ValueError:
        return None
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


def clothing_reviews(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from the clothing reviews file (``.csv`` or ``.csv.gz``)."""
    opener = gzip.open if path.suffix == ".gz" else open
    out: list[tuple[str, str]] = []
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            label = _stars(row["Rating"])
            title = (row.get("Title") or "").strip()
            review = (row.get("Review Text") or "").strip()
            if label is None or not (title or review):
                continue
            out.append((f"{title}. {review}" if title else review, label))
            if title:
                out.append((title, label))
    return out


def banking_queries(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from a BANKING77 csv (``text``, ``category``)."""
    out: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            intent = row["category"]
            if intent in MIXED_INTENTS:
                continue
            out.append((row["text"], "negative" if intent in PROBLEM_INTENTS else "neutral"))
    return out


def complaint_narratives(path: Path) -> list[tuple[str, str]]:
    """(text, "negative") pairs from the CFPB complaints export (narratives only)."""
    with path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    rows = csv.DictReader(io.StringIO(text))
    return [
        (row["Consumer complaint narrative"].strip(), "negative")
        for row in rows
        if (row.get("Consumer complaint narrative") or "").strip()
    ]
