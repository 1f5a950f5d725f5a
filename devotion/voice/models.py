"""What customers say, understood: one analysis per text touchpoint, staff corrections and
the labelled texts a business teaches Devotion with, and the models learned from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from devotion.touchpoints.models import Touchpoint


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class TextAnalysis(models.Model):
    """What the text of one touchpoint says: language, feeling, emotions, topic, whether it
    needs a reply and why, who and what it mentions, and (for our own replies) rudeness.

    Written in bulk by the analysis job (``voice/analysis.py``); ``model_version`` names the
    sentiment model that answered. A staff correction (``corrected_*``) wins over the model
    wherever the analysis is shown, and becomes a label the business's own model learns from.
    ``occurred_at`` and ``direction`` copy the touchpoint's, so the Voice page counts topics
    per week on this table's own indexes.
    """

    touchpoint = models.OneToOneField(
        Touchpoint, on_delete=models.CASCADE, related_name="analysis", primary_key=True
    )
    language = models.CharField(max_length=8, blank=True)
    # Empty for a language the models are not written for: marked, never mis-scored.
    sentiment_label = models.CharField(max_length=10, choices=SentimentLabel.choices, blank=True)
    sentiment = models.FloatField(null=True, blank=True)  # -1 (negative) .. 1 (positive)
    emotions = models.JSONField(default=dict, blank=True)  # {"anger": 0.8, ...}
    topic = models.CharField(max_length=100, blank=True, db_index=True)
    needs_reply = models.BooleanField(default=False)
    reply_reasons = models.JSONField(default=list, blank=True)  # ["question", "complaint"...]
    escalation = models.BooleanField(default=False)  # asks for a manager, a lawyer...
    mentions = models.JSONField(default=list, blank=True)  # [{"kind", "name", "id"}]
    rude = models.BooleanField(default=False)  # our own reply read as rude
    rude_terms = models.JSONField(default=list, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    direction = models.CharField(max_length=3, blank=True)
    corrected_sentiment = models.CharField(
        max_length=10, choices=SentimentLabel.choices, blank=True
    )
    corrected_topic = models.CharField(max_length=100, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    model_version = models.CharField(max_length=40)
    analysed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "text analyses"
        indexes = [
            # The Voice page: topics and sentiment per week, newest weeks.
            models.Index(fields=["occurred_at"], name="ta_time"),
            models.Index(fields=["topic", "occurred_at"], name="ta_topic_time"),
            models.Index(
                fields=["corrected_topic", "occurred_at"],
                name="ta_corrected_topic_time",
                condition=~models.Q(corrected_topic=""),
            ),
        ]

    def __str__(self) -> str:
        return f"analysis of {self.touchpoint_id}"

    @property
    def feeling(self) -> str:
        """The sentiment shown: a staff correction, else the model's label."""
        return self.corrected_sentiment or self.sentiment_label

    @property
    def shown_topic(self) -> str:
        """The topic shown: a staff correction, else the model's."""
        return self.corrected_topic or self.topic


class LabelledText(models.Model):
    """One text with the label a person gave it: a staff correction on the timeline (with its
    touchpoint) or a row of a file given to ``devotion learn sentiment`` (without one).

    The business's own models learn from these rows.
    """

    class Kind(models.TextChoices):
        SENTIMENT = "sentiment", "Sentiment"
        TOPIC = "topic", "Topic"

    class Source(models.TextChoices):
        CORRECTION = "correction", "Staff correction"
        IMPORT = "import", "Imported file"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    text = models.TextField()
    label = models.CharField(max_length=100)
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One correction per touchpoint and kind: correcting again replaces it.
            models.UniqueConstraint(
                fields=["kind", "touchpoint"],
                name="labelled_text_one_per_touchpoint",
                condition=models.Q(touchpoint__isnull=False),
            )
        ]
        indexes = [models.Index(fields=["kind", "created_at"], name="labelled_kind_time")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label}"


class TextModel(models.Model):
    """A model the business trained on its own labels, with how it scored against the
    shipped model on held-back labels; ``active`` when it answers instead of the shipped one.

    ``weights`` is a NumPy ``.npz`` (loaded without pickle: a stored model runs no code).
    """

    class Kind(models.TextChoices):
        SENTIMENT = "sentiment", "Sentiment"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.CharField(max_length=40, unique=True)
    weights = models.BinaryField()
    labels = models.IntegerField()  # how many labelled texts it learned from
    scores = models.JSONField(default=dict)  # see devotion.nlp.sentiment.cross_validate
    active = models.BooleanField(default=False)
    decision = models.TextField(blank=True)  # why it is (or is not) active, in a sentence
    trained_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "-trained_at"], name="textmodel_kind_time")]

    def __str__(self) -> str:
        return self.version


# The survey models live with the rest of the survey code; importing them here registers
# them with the voice app.
from devotion.voice.surveys.models import Survey, SurveyInvitation, SurveyOptOut  # noqa: E402

__all__ = [
    "LabelledText",
    "Survey",
    "SurveyInvitation",
    "SurveyOptOut",
    "TextAnalysis",
    "TextModel",
]
