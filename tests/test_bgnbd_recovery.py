"""BG/NBD and Gamma-Gamma fitted by our own code recover the parameters data was drawn from."""

from __future__ import annotations

import numpy as np
import pytest

from devotion.analytics.clv import BetaGeoModel, GammaGammaModel, lifetime_value, simulate_bgnbd

TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}  # close to CDNOW's published fit


def test_a_fit_on_simulated_customers_recovers_the_parameters():
    x, t_x, T = simulate_bgnbd(12_000, *TRUE.values(), 52.0, random_state=11)
    fit = BetaGeoModel().fit(x, t_x, T).params_
    assert fit["r"] == pytest.approx(TRUE["r"], rel=0.15)
    assert fit["alpha"] == pytest.approx(TRUE["alpha"], rel=0.2)
    assert fit["a"] == pytest.approx(TRUE["a"], rel=0.3)
    assert fit["b"] == pytest.approx(TRUE["b"], rel=0.4)


def test_the_fitted_model_expects_as_many_purchases_as_the_customers_made():
    # E[X(t)] for someone who just bought is the mean number of repeat purchases over t.
    x, t_x, T = simulate_bgnbd(6000, *TRUE.values(), 104.0, random_state=5)
    model = BetaGeoModel().fit(x, t_x, T)
    assert model.expected_purchases_new(104.0) == pytest.approx(x.mean(), rel=0.1)


def test_p_alive_is_lower_for_people_silent_for_long():
    model = BetaGeoModel()
    model.params_ = dict(TRUE)
    alive = model.p_alive([3, 3], [10.0, 50.0], [52.0, 52.0])
    assert alive[0] < alive[1] and 0 < alive[0] < 1
    assert model.p_alive([0], [0.0], [52.0])[0] == 1.0  # no repeat purchase: no evidence of leaving


def test_gamma_gamma_recovers_spend_parameters():
    rng = np.random.default_rng(2)
    p, q, v = 6.0, 4.0, 15.0
    n = 8000
    nu = rng.gamma(q, 1 / v, size=n)  # each person's scale
    x = rng.integers(1, 8, size=n)
    means = np.array([rng.gamma(p, 1 / nu[i], size=x[i]).mean() for i in range(n)])
    fit = GammaGammaModel().fit(x, means).params_
    assert fit["p"] == pytest.approx(p, rel=0.2)
    assert fit["q"] == pytest.approx(q, rel=0.2)
    assert fit["v"] == pytest.approx(v, rel=0.3)


def test_lifetime_value_grows_with_expected_purchases_and_value():
    model = BetaGeoModel()
    model.params_ = dict(TRUE)
    ltv = lifetime_value(
        model,
        np.array([50.0, 50.0, 100.0]),
        np.array([5, 0, 5]),
        np.array([50.0, 0, 50.0]),
        np.array([52.0, 52.0, 52.0]),
    )
    assert ltv[0] > ltv[1] > 0 and ltv[2] == pytest.approx(2 * ltv[0])


def test_too_few_customers_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 10"):
        BetaGeoModel().fit([1, 2], [1.0, 2.0], [5.0, 5.0])
