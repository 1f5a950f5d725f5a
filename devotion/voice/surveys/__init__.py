"""Surveys people answer: NPS, CSAT and CES questions e-mailed with a signed personal link.

- ``scales.py``: what each kind asks and how its score is worked out (no Django).
- ``models.py``: :class:`Survey`, one :class:`SurveyInvitation` per person asked, and
  :class:`SurveyOptOut` (people who asked never to be surveyed again).
- ``targeting.py``: who a survey goes to (a touchpoint kind in the last N days, or a saved
  segment), less the people the fatigue and opt-out rules protect.
- ``links.py``: the signed, expiring personal links.
- ``sending.py``: the e-mails and the job that sends them.
- ``answers.py``: an answer becomes a ``survey_answer`` touchpoint through ``ingest()``.
- ``chart.py``: the score-over-time chart as inline SVG.
- ``views.py`` / ``urls.py``: the /surveys/ pages and the public answer page.
"""
