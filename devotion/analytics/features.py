"""Per-person features as of a date, from a table of events: written once with narwhals, so
the same code runs on DuckDB (the default) and on PySpark (for data that outgrows a machine).

The events table has one row per touchpoint and these columns:

============ ======= ==========================================================================
person_id    int64   whose event it is
kind         string  order, message, survey_answer, review, social_comment, call, email, ...
direction    string  "in" (from the customer), "out" (from us) or ""
day          float64 when, in days since 1970-01-01 UTC (fractions are times of day)
amount       float64 an order's value in the reporting currency (null otherwise)
rating       float64 stars of a review, score of a survey answer (null otherwise)
survey       string  "nps" or "csat" for a survey answer ("" otherwise)
============ ======= ==========================================================================

Only events strictly before ``as_of`` count: scores "as of" a day never see what came after,
which is what lets a business backtest and what keeps the churn model free of leaks.

>>> import duckdb, pyarrow as pa
>>> events = pa.table({"person_id": [1, 1, 1, 2], "kind": ["order", "order", "message", "order"],
...     "direction": ["", "", "in", ""], "day": [10.0, 40.0, 45.0, 30.0],
...     "amount": [20.0, 30.0, None, 15.0], "rating": [None] * 4, "survey": [""] * 4})
>>> table = collect(build_features(duckdb.connect().from_arrow(events), as_of=50.0))
>>> table["person_id"].tolist(), table["orders"].tolist(), table["recency_days"].tolist()
([1, 2], [2.0, 1.0], [10.0, 20.0])
>>> table["mean_gap_days"].tolist()[0], table["unanswered"].tolist()
(30.0, [1.0, 0.0])
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np

ORDER = "order"
# Kinds through which a customer writes to us: what "unanswered" counts when inbound.
CONVERSATION_KINDS = ("message", "email", "social_comment", "call")
RECENT_DAYS = 90  # messages, complaints and unanswered messages count over this window
TREND_DAYS = 180  # spend trend: the last 180 days against the 180 days before them
YEAR = 365.0

# Feature columns and their meaning (pages, docs and reasons read this).
FEATURES: dict[str, str] = {
    "recency_days": "days since the last order",
    "orders": "orders placed",
    "order_days": "days with an order",
    "monetary_total": "total spent",
    "monetary_mean": "average order value",
    "tenure_days": "days since we first saw them",
    "age_days": "days since their first order",
    "mean_gap_days": "usual days between orders",
    "last_gap_days": "days between their last two orders",
    "orders_365": "orders in the last year",
    "spend_recent": "spend in the last 180 days",
    "spend_prior": "spend in the 180 days before that",
    "messages_90": "messages from them in the last 90 days",
    "complaints_90": "complaints in the last 90 days",
    "unanswered": "messages from them still waiting for our reply",
    "last_nps": "latest NPS answer (0-10)",
    "last_csat": "latest CSAT answer (1-5)",
}


def as_lazy(events: Any) -> nw.LazyFrame[Any]:
    """A narwhals LazyFrame over ``events``: lazy frames as they are (DuckDB, PySpark), eager
    tables (pyarrow, pandas, Polars) through DuckDB."""
    frame = nw.from_native(events)
    if isinstance(frame, nw.DataFrame):
        return frame.lazy(backend="duckdb")
    return frame


def build_features(events: Any, as_of: float) -> nw.LazyFrame[Any]:
    """One row per person with any event before ``as_of`` (a day number, see above).

    ``events`` is anything narwhals reads lazily (a DuckDB relation, a PySpark DataFrame, a
    Polars LazyFrame) with the columns in the module docstring. People without an order get
    null recency and order figures; the columns are those of :data:`FEATURES` plus
    ``person_id``, ``first_day``, ``last_order_day`` and ``first_order_day``.
    """
    ev = as_lazy(events).filter(nw.col("day") < as_of)
    day = nw.col("day")
    is_in = nw.col("direction") == "in"

    # 1. Everyone seen, with what they said and whether we answered.
    last_out = (
        ev.filter(nw.col("direction") == "out")
        .group_by("person_id")
        .agg(day.max().alias("last_out_day"))
    )
    recent = day >= as_of - RECENT_DAYS
    low_review = (nw.col("kind") == "review") & (nw.col("rating") <= 2)
    low_csat = (nw.col("survey") == "csat") & (nw.col("rating") <= 2)
    talk = nw.col("kind").is_in(CONVERSATION_KINDS) & is_in
    people = (
        ev.join(last_out, on="person_id", how="left")
        .with_columns(
            waiting=(
                talk & recent & (nw.col("last_out_day").is_null() | (day > nw.col("last_out_day")))
            ),
            said=talk & recent,
            complaint=(low_review | low_csat) & recent,
        )
        .group_by("person_id")
        .agg(
            day.min().alias("first_day"),
            nw.col("said").cast(nw.Int64).sum().cast(nw.Int64).alias("messages_90"),
            nw.col("complaint").cast(nw.Int64).sum().cast(nw.Int64).alias("complaints_90"),
            nw.col("waiting").cast(nw.Int64).sum().cast(nw.Int64).alias("unanswered"),
        )
    )

    # 2. Orders: how many, how much, how regular, how recent.
    orders = ev.filter(nw.col("kind") == ORDER).with_columns(
        amount=nw.col("amount").fill_null(0.0),
        gap=day.diff().over("person_id", order_by="day"),
        is_last=day == day.max().over("person_id"),
    )
    amount = nw.col("amount")
    buying = orders.group_by("person_id").agg(
        nw.len().alias("orders"),
        day.floor().n_unique().alias("order_days"),
        day.min().alias("first_order_day"),
        day.max().alias("last_order_day"),
        amount.sum().alias("monetary_total"),
        nw.when(day >= as_of - YEAR).then(1).otherwise(0).sum().cast(nw.Int64).alias("orders_365"),
        nw.when(day >= as_of - TREND_DAYS).then(amount).otherwise(0.0).sum().alias("spend_recent"),
        nw.when((day < as_of - TREND_DAYS) & (day >= as_of - 2 * TREND_DAYS))
        .then(amount)
        .otherwise(0.0)
        .sum()
        .alias("spend_prior"),
        nw.when(nw.col("is_last")).then(nw.col("gap")).otherwise(None).max().alias("last_gap_days"),
    )

    # 3. The latest answer to each kind of survey.
    answers = ev.filter(nw.col("kind") == "survey_answer").with_columns(
        latest=day == day.max().over("person_id", "survey")
    )
    surveys = (
        answers.filter(nw.col("latest"))
        .group_by("person_id")
        .agg(
            nw.when(nw.col("survey") == "nps").then(nw.col("rating")).max().alias("last_nps"),
            nw.when(nw.col("survey") == "csat").then(nw.col("rating")).max().alias("last_csat"),
        )
    )

    # 4. Together, with the figures derived from them.
    out = (
        people.join(buying, on="person_id", how="left")
        .join(surveys, on="person_id", how="left")
        .with_columns(
            orders=nw.col("orders").fill_null(0),
            order_days=nw.col("order_days").fill_null(0),
            orders_365=nw.col("orders_365").fill_null(0),
            monetary_total=nw.col("monetary_total").fill_null(0.0),
            spend_recent=nw.col("spend_recent").fill_null(0.0),
            spend_prior=nw.col("spend_prior").fill_null(0.0),
            recency_days=as_of - nw.col("last_order_day"),
            tenure_days=as_of - nw.col("first_day"),
            age_days=as_of - nw.col("first_order_day"),
        )
        .with_columns(
            monetary_mean=nw.when(nw.col("orders") > 0).then(
                nw.col("monetary_total") / nw.col("orders")
            ),
            mean_gap_days=nw.when(nw.col("order_days") > 1).then(
                (nw.col("last_order_day") - nw.col("first_order_day")) / (nw.col("order_days") - 1)
            ),
        )
    )
    columns = ["person_id", "first_day", "first_order_day", "last_order_day", *FEATURES]
    return out.select(columns).sort("person_id")


def collect(features: nw.LazyFrame[Any]) -> dict[str, np.ndarray]:
    """Run the lazy pipeline and hand back one numpy array per column: person ids as int64,
    every feature as float64 (nulls as NaN), ordered by person id."""
    table = features.collect(backend="pyarrow").to_arrow()
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = table.column(name)
        values = column.to_numpy(zero_copy_only=False)
        out[name] = values.astype(np.int64) if name == "person_id" else values.astype(float)
    return out
