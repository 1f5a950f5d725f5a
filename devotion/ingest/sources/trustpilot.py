"""Trustpilot: the reviews export of the Business app (Reviews > Export).

Stars become the rating (1-5), title and content the subject and text. The reviewer is
recognised by the reference e-mail (from an invitation) or the consumer e-mail, and by
Trustpilot's consumer id; a review with none of them cannot be placed on anyone's timeline.
"""

from __future__ import annotations

from devotion.ingest.sources.base import Event, Mapper, Reject, Row, compact, country, when
from devotion.ingest.sources.base import text as t

NAME = "trustpilot"
LABEL = "Trustpilot"


def _review(row: Row) -> Event:
    review_id = t(row, "review id", "id")
    if not review_id:
        raise Reject("Review ID is empty")
    stars = t(row, "review stars", "stars")
    if not stars:
        raise Reject("Review Stars is empty: a Trustpilot review always has 1 to 5 stars")
    if stars not in {"1", "2", "3", "4", "5"}:
        raise Reject(f"Review Stars {stars!r} is not 1 to 5")
    person = compact(
        {
            "email": t(row, "reference email", "consumer email"),
            "external_id": t(row, "consumer id"),
            "name": t(row, "consumer name"),
            "country": country(t(row, "consumer country", "country")),
        }
    )
    if not person.get("email") and not person.get("external_id"):
        raise Reject("no Reference Email, Consumer Email or Consumer Id: cannot tell who wrote it")
    return compact(
        {
            "kind": "review",
            "source": NAME,
            "external_id": review_id,
            "occurred_at": when(row, "review created (utc)", "review created", "created at"),
            "person": person,
            "channel": "review_site",
            "direction": "in",
            "subject": t(row, "review title"),
            "text": t(row, "review content"),
            "rating": stars,
            "extra": compact(
                {
                    "site": "trustpilot",
                    "reference_id": t(row, "reference id"),
                    "language": t(row, "review language"),
                    "source_of_review": t(row, "source of review"),
                    "reply": t(row, "reply content"),
                    "replied_at": t(row, "company reply date (utc)"),
                    "tags": t(row, "tags"),
                }
            ),
        }
    )


MAPPERS = {
    "reviews": Mapper(
        kind="reviews",
        map_row=_review,
        required=(
            ("review id", "id"),
            ("review created (utc)", "review created", "created at"),
            ("review stars", "stars"),
            ("reference email", "consumer email", "consumer id"),
        ),
        sample="trustpilot_reviews.csv",
        columns={
            "external_id": "Review ID",
            "occurred_at": "Review Created (UTC)",
            "rating": "Review Stars",
            "subject": "Review Title",
            "text": "Review Content",
            "person.email": "Reference Email / Consumer Email",
            "person.external_id": "Consumer Id",
            "person.name": "Consumer Name",
        },
    ),
}
