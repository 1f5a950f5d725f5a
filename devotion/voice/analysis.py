"""Understanding every text as it arrives, and the history on demand.

Storage announces each committed batch (``touchpoints.signals.stored``); :func:`on_stored`
turns the new text touchpoints of a batch into one ``analyze`` job on the ``analysis``
queue (their ids as runs, never the texts), and the worker runs :func:`analyse_ids`:
read the texts a chunk at a time, run :func:`devotion.nlp.analyze.analyze` on the chunk,
write every analysis of the chunk in one bulk upsert. ``devotion analyze [--all]`` runs
:func:`analyse_history` the same way for what is already stored.

The sentiment model that answers is the business's own when one is active
(:mod:`devotion.voice.learning`), else the shipped one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.tasks import task

from devotion.core import jobs, queues
from devotion.core.models import Job
from devotion.nlp.analyze import Analysis, analyze
from devotion.touchpoints.models import Direction, OrderLine, Touchpoint
from devotion.touchpoints.signals import StoredBatch
from devotion.voice.models import TextAnalysis

log = logging.getLogger(__name__)

# The kinds whose text a customer (or we) wrote to the other side. Orders carry no text;
# notes are the team's own jottings.
TEXT_KINDS: tuple[str, ...] = (
    "message",
    "survey_answer",
    "review",
    "social_comment",
    "email",
    "call",
)
# Kinds whose subject the customer wrote too (a survey answer's subject is our question).
_SUBJECT_KINDS = frozenset({"message", "email"})
CHUNK = 2000
_UPDATE_FIELDS = [
    "language",
    "sentiment_label",
    "sentiment",
    "emotions",
    "topic",
    "needs_reply",
    "reply_reasons",
    "escalation",
    "mentions",
    "rude",
    "rude_terms",
    "occurred_at",
    "direction",
    "model_version",
    "analysed_at",
]


# ------------------------------------------------------------------------------ the signal


def runs(ids: Iterable[int]) -> list[list[int]]:
    """Ids as ``[first, last]`` runs (what a job's task carries, however big the batch).

    >>> runs([5, 6, 7, 9, 3])
    [[3, 3], [5, 7], [9, 9]]
    """
    out: list[list[int]] = []
    for pk in sorted(set(ids)):
        if out and pk == out[-1][1] + 1:
            out[-1][1] = pk
        else:
            out.append([pk, pk])
    return out


def on_stored(batch: StoredBatch, **_: Any) -> None:
    """Queue one analysis job for the text touchpoints of a committed batch: the new ones and
    those whose text changed whose analysis is gone (a survey answered again with new words)."""
    ids = batch.touchpoint_ids(*TEXT_KINDS)
    changed = batch.changed_ids(*TEXT_KINDS)
    if changed:
        analysed = TextAnalysis.objects.filter(touchpoint_id__in=changed)
        ids += sorted(set(changed) - set(analysed.values_list("touchpoint_id", flat=True)))
    if not ids:
        return
    job = jobs.create(
        "analyze",
        f"Understand {len(ids)} new text{'s' if len(ids) != 1 else ''}",
        queue=queues.ANALYSIS,
        total=len(ids),
        unit="texts",
    )
    jobs.enqueue(job, analyse_new, runs(ids))


@task(queue_name=queues.ANALYSIS)
def analyse_new(job_id: int, id_runs: list[list[int]]) -> None:
    """The worker's side of :func:`on_stored`: analyse the touchpoints in ``id_runs``."""
    try:
        jobs.run(job_id, lambda job: analyse_ids(_expand(id_runs), job=job))
    except jobs.NotQueued:
        return  # a retried or duplicated task: the job already ran


def _expand(id_runs: Sequence[Sequence[int]]) -> list[int]:
    return [pk for first, last in id_runs for pk in range(first, last + 1)]


# ---------------------------------------------------------------------------- the analysis


def staff_names() -> dict[str, int]:
    """Every name customers call a staff member by (display name, first name, aliases)."""
    from devotion.team.models import StaffMember

    names: dict[str, int] = {}
    for pk, display, aliases in StaffMember.objects.values_list("pk", "display_name", "aliases"):
        for name in [display, display.split(" ")[0], *(aliases or [])]:
            if isinstance(name, str) and name.strip():
                names.setdefault(name.strip(), pk)
    return names


def product_names() -> dict[str, str]:
    """Product names as sold (cached for an hour: reading them scans the order lines)."""
    found = cache.get("voice:product-names")
    if found is None:
        rows = (
            OrderLine.objects.exclude(product_name="")
            .values_list("product_name", "product_id")
            .distinct()[:5000]
        )
        found = {name: pid for name, pid in rows if len(name) <= 80}
        cache.set("voice:product-names", found, 3600)
    return dict(found)


def analyse_texts(
    texts: Sequence[str], *, with_products: bool = True, subjects: Sequence[str] | None = None
) -> tuple[list[Analysis], str]:
    """Analyse texts (with their thread's subjects, for the topic) with the active model and
    the business's names; returns the analyses and the version of the sentiment model that
    answered."""
    from devotion.voice import learning

    model = learning.active_sentiment_model()
    results = analyze(
        texts,
        model=model,
        staff=staff_names(),
        products=product_names() if with_products else None,
        topic_of=learning.learned_topics(),
        subjects=subjects,
    )
    return results, model.version


def _rows(
    results: Sequence[Analysis], touchpoints: Sequence[dict[str, Any]], version: str
) -> list[TextAnalysis]:
    from django.utils import timezone

    now = timezone.now()
    rows = []
    for result, tp in zip(results, touchpoints, strict=True):
        outbound = tp["direction"] == Direction.OUTBOUND
        rows.append(
            TextAnalysis(
                touchpoint_id=tp["id"],
                language=result.language,
                sentiment_label=result.sentiment_label or "",
                sentiment=result.sentiment_score,
                emotions=result.emotions,
                topic=result.topic[:100] if not outbound else "",
                # Our own replies need no reply; only they can be rude.
                needs_reply=result.needs_reply and not outbound,
                reply_reasons=result.reply_reasons if not outbound else [],
                escalation="escalation" in result.reply_reasons and not outbound,
                mentions=result.mentions,
                rude=bool(result.rude) and outbound,
                rude_terms=result.rude if outbound else [],
                occurred_at=tp["occurred_at"],
                direction=tp["direction"],
                model_version=version,
                analysed_at=now,
            )
        )
    return rows


def text_of(row: dict[str, Any]) -> str:
    """What a touchpoint says: its text, or the subject of a message or an e-mail that has
    none."""
    return (row["text"] or "").strip() or subject_of(row)


def subject_of(row: dict[str, Any]) -> str:
    """The subject the customer wrote, for a message or an e-mail: it often names the
    problem better than the body ("Charged twice"), so it helps find the topic. It is the
    thread's subject, so it does not colour the message's feeling."""
    subject = (row["subject"] or "").strip() if row["kind"] in _SUBJECT_KINDS else ""
    return "" if subject.lower().startswith("re:") else subject


def analyse_rows(touchpoints: Sequence[dict[str, Any]]) -> int:
    """Analyse and store (one bulk upsert) touchpoint rows with ``id``, ``text``,
    ``subject``, ``direction`` and ``occurred_at``; corrections are kept. Returns how many."""
    usable = [tp for tp in touchpoints if text_of(tp)]
    if not usable:
        return 0
    results, version = analyse_texts(
        [text_of(tp) for tp in usable],
        subjects=[subject_of(tp) if (tp["text"] or "").strip() else "" for tp in usable],
    )
    TextAnalysis.objects.bulk_create(
        _rows(results, usable, version),
        update_conflicts=True,
        unique_fields=["touchpoint"],
        update_fields=_UPDATE_FIELDS,
        batch_size=500,
    )
    return len(usable)


# A text, or a subject the customer wrote (see text_of).
_SAYS_SOMETHING = ~Q(text="") | (Q(kind__in=_SUBJECT_KINDS) & ~Q(subject=""))
_FIELDS = ("id", "kind", "text", "subject", "direction", "occurred_at")


def analyse_ids(ids: Sequence[int], *, job: Job | None = None) -> int:
    """Analyse the text touchpoints among ``ids`` (chunk by chunk); returns how many."""
    done = 0
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = list(
            Touchpoint.objects.filter(pk__in=chunk, kind__in=TEXT_KINDS)
            .filter(_SAYS_SOMETHING)
            .values(*_FIELDS)
        )
        done += analyse_rows(found)
        if job is not None:
            job.set_progress(min(start + CHUNK, len(ids)), len(ids), "texts")
    if job is not None:
        job.write_log(f"Analysed {done} texts.")
    return done


def history(*, everything: bool) -> Any:
    """The text touchpoints ``devotion analyze`` works through: all of them with ``--all``,
    else those with no analysis yet."""
    found = Touchpoint.objects.filter(kind__in=TEXT_KINDS).filter(_SAYS_SOMETHING)
    if not everything:
        found = found.filter(analysis__isnull=True)
    return found


def chunks_of_history(*, everything: bool) -> Iterator[list[dict[str, Any]]]:
    """The history in chunks of :data:`CHUNK`, by ascending id (keyset, never OFFSET)."""
    after = 0
    while True:
        rows = list(
            history(everything=everything)
            .filter(pk__gt=after)
            .order_by("pk")
            .values(*_FIELDS)[:CHUNK]
        )
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def analyse_history(job: Job, *, everything: bool = False, progress: Any = None) -> int:
    """Analyse stored texts (see :func:`history`) as ``job``; ``progress(done, total)`` is
    called after each chunk too (the command's progress bar). Returns how many."""
    total = history(everything=everything).count()
    job.set_progress(0, total, "texts")
    done = 0
    for rows in chunks_of_history(everything=everything):
        done += analyse_rows(rows)
        job.set_progress(done, total, "texts")
        if progress is not None:
            progress(done, total)
    job.write_log(f"Analysed {done} texts.")
    return done
