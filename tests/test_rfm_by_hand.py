"""RFM scores and segments on a case worked by hand."""

from __future__ import annotations

import numpy as np

from devotion.analytics.rfm import MEANINGS, SEGMENTS, rfm_scores, segment_of, segments


def test_ten_customers_get_the_scores_and_segments_worked_out_by_hand():
    # Ten customers: days since last order, orders, spend.
    recency = [3, 8, 15, 30, 45, 60, 120, 200, 300, 400]
    orders = [12, 2, 9, 1, 5, 4, 10, 1, 3, 1]
    spend = [900, 60, 700, 25, 300, 200, 800, 30, 150, 20]
    r, f, m = rfm_scores(recency, orders, spend)
    # Ranks in fifths of ten: two customers per score; recency is reversed (recent = 5).
    assert r.tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # Score = ceil((rank - 0.5) * 5 / 10). Orders: the three 1-order customers share rank 2
    # (score 1); 2 orders rank 4 (2); 3 and 4 rank 5 and 6 (3); 5 and 9 rank 7 and 8 (4).
    assert f.tolist() == [5, 2, 4, 1, 4, 3, 5, 1, 3, 1]
    # Spend: 30 ranks 3 -> ceil(1.25) = 2.
    assert m.tolist() == [5, 2, 4, 1, 4, 3, 5, 2, 3, 1]
    # FM = ceil((F + M) / 2); then the rule table.
    assert segments(r, f, m) == [
        "Champions",  # R5 FM5
        "Potential loyalist",  # R5 FM2
        "Loyal",  # R4 FM4
        "Promising",  # R4 FM1
        "Loyal",  # R3 FM4
        "Need attention",  # R3 FM3
        "Can't lose them",  # R2 FM5
        "Hibernating",  # R2 FM2
        "At risk",  # R1 FM3
        "Lost",  # R1 FM1
    ]


def test_every_pair_of_r_and_fm_has_a_segment_and_all_eleven_are_reachable():
    seen = {segment_of(r, f, f) for r in range(1, 6) for f in range(1, 6)}
    assert seen == set(SEGMENTS)
    assert set(MEANINGS) == set(SEGMENTS)


def test_people_without_an_order_get_no_scores():
    r, f, m = rfm_scores([np.nan, 5.0], [0, 3], [0.0, 50.0])
    assert (r[0], f[0], m[0]) == (0, 0, 0) and segment_of(0, 0, 0) == ""
