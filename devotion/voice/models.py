"""What customers say, understood: one analysis per text touchpoint (filled by the voice issue)."""

from __future__ import annotations

from django.db import models

from devotion.touchpoints.models import Touchpoint


class TextAnalysis(models.Model):
    """What the text of one touchpoint says: feeling, topic, whether it needs a reply.

    Written by the text-understanding task; ``model_version`` lets a new model re-analyse.
    """

    touchpoint = models.OneToOneField(
        Touchpoint, on_delete=models.CASCADE, related_name="analysis", primary_key=True
    )
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.FloatField(null=True, blank=True)  # -1 (negative) .. 1 (positive)
    emotions = models.JSONField(default=dict, blank=True)  # {"anger": 0.8, ...}
    topic = models.CharField(max_length=100, blank=True, db_index=True)
    needs_reply = models.BooleanField(default=False)
    mentions = models.JSONField(default=list, blank=True)  # staff member ids named in the text
    model_version = models.CharField(max_length=40)
    analysed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "text analyses"

    def __str__(self) -> str:
        return f"analysis of {self.touchpoint_id}"


# The survey models live with the rest of the survey code; importing them here registers
# them with the voice app.
from devotion.voice.surveys.models import Survey, SurveyInvitation, SurveyOptOut  # noqa: E402

__all__ = ["Survey", "SurveyInvitation", "SurveyOptOut", "TextAnalysis"]
