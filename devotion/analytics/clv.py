"""Expected purchases and lifetime value: BG/NBD (Fader, Hardie & Lee 2005) for how often and
how long people keep buying, Gamma-Gamma (Fader, Hardie & Lee 2005b) for how much.

Implemented here with numpy and scipy: ``lifetimes``, the usual library, has had no release
since 2020 and ``btyd``, its fork, is a 2022 beta. Both models are fitted by maximum
likelihood over log-parameters (L-BFGS-B), the way the papers do.

Inputs per person, in any one time unit (the pipeline uses weeks): ``x`` repeat purchases
(purchase days after the first), ``t_x`` the time of the last purchase after the first, ``T``
the time from the first purchase to the end of the observation.

>>> model = BetaGeoModel().fit(*simulate_bgnbd(4000, 0.25, 4.0, 0.8, 2.5, 52.0, random_state=1))
>>> [round(v, 1) for v in model.params_.values()]
[0.2, 3.9, 0.9, 2.8]
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special


def _arrays(*values: object) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


class BetaGeoModel:
    """BG/NBD: each person buys at their own Poisson rate (gamma-distributed across people,
    shape ``r`` and rate ``alpha``) until they drop out, which happens after any purchase with
    their own probability (beta-distributed, ``a`` and ``b``).

    Learned: ``params_`` (r, alpha, a, b) and ``log_likelihood_``.
    """

    def fit(self, x: object, t_x: object, T: object) -> BetaGeoModel:
        x_, tx_, T_ = _arrays(x, t_x, T)
        if len(x_) < 10:
            raise ValueError("BG/NBD needs at least 10 customers to fit")
        scale = max(float(np.mean(T_)), 1e-9)  # fit on a scale where alpha is near 1

        def loss(log_params: np.ndarray) -> float:
            r, alpha, a, b = np.exp(log_params)
            return -float(np.sum(_bgnbd_ll(r, alpha, a, b, x_, tx_ / scale, T_ / scale)))

        start = np.log([1.0, 1.0, 1.0, 1.0])
        res = optimize.minimize(loss, start, method="L-BFGS-B", bounds=[(-12, 8)] * 4)
        r, alpha, a, b = np.exp(res.x)
        alpha *= scale
        self.params_ = {"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b)}
        self.log_likelihood_ = float(np.sum(_bgnbd_ll(r, alpha, a, b, x_, tx_, T_)))
        return self

    def p_alive(self, x: object, t_x: object, T: object) -> np.ndarray:
        """The probability that each person still buys (has not dropped out)."""
        r, alpha, a, b = self.params_.values()
        x_, tx_, T_ = _arrays(x, t_x, T)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ratio = np.exp((r + x_) * (np.log(alpha + T_) - np.log(alpha + tx_)))
            odds = np.where(x_ > 0, a / np.maximum(b + x_ - 1, 1e-12) * ratio, 0.0)
        return 1.0 / (1.0 + odds)

    def expected_purchases(self, t: float, x: object, t_x: object, T: object) -> np.ndarray:
        """How many purchases each person is expected to make in the next ``t``."""
        r, alpha, a, b = self.params_.values()
        x_, tx_, T_ = _arrays(x, t_x, T)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            hyp = special.hyp2f1(r + x_, b + x_, a + b + x_ - 1, t / (alpha + T_ + t))
            head = (a + b + x_ - 1) / (a - 1)
            body = 1 - ((alpha + T_) / (alpha + T_ + t)) ** (r + x_) * hyp
            ratio = ((alpha + T_) / (alpha + tx_)) ** (r + x_)
            tail = 1 + np.where(x_ > 0, a / np.maximum(b + x_ - 1, 1e-12) * ratio, 0.0)
            out = head * body / tail
        return np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0), 0.0, None)

    def expected_purchases_new(self, t: float) -> float:
        """Purchases expected in a period ``t`` from someone who just made a first purchase."""
        r, alpha, a, b = self.params_.values()
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp))


def _bgnbd_ll(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
    return a1 + a2 + np.logaddexp(a3, a4)


class GammaGammaModel:
    """Gamma-Gamma: each person's order values vary around their own mean, and those means
    vary across people; fitted on people with at least one order. Learned: ``params_``
    (p, q, v)."""

    def fit(self, frequency: object, monetary_mean: object) -> GammaGammaModel:
        x_, m_ = _arrays(frequency, monetary_mean)
        keep = (x_ > 0) & (m_ > 0)
        x_, m_ = x_[keep], m_[keep]
        if len(x_) < 10:
            raise ValueError("Gamma-Gamma needs at least 10 customers with a positive spend")
        scale = float(np.mean(m_))
        m_ = m_ / scale

        def loss(log_params: np.ndarray) -> float:
            p, q, v = np.exp(log_params)
            ll = (
                special.gammaln(p * x_ + q)
                - special.gammaln(p * x_)
                - special.gammaln(q)
                + q * np.log(v)
                + (p * x_ - 1) * np.log(m_)
                + p * x_ * np.log(x_)
                - (p * x_ + q) * np.log(x_ * m_ + v)
            )
            return -float(np.sum(ll))

        res = optimize.minimize(
            loss,
            np.log([1.0, 2.0, 1.0]),
            method="L-BFGS-B",
            bounds=[(-8, 8), (np.log(1.01), 10), (-12, 12)],
        )
        p, q, v = np.exp(res.x)
        self.params_ = {"p": float(p), "q": float(q), "v": float(v * scale)}
        return self

    def expected_value(self, frequency: object, monetary_mean: object) -> np.ndarray:
        """Each person's expected order value: their own mean shrunk toward everyone's."""
        p, q, v = self.params_.values()
        x_, m_ = _arrays(frequency, monetary_mean)
        m_ = np.nan_to_num(m_, nan=0.0)
        population = p * v / (q - 1)
        own = (p * (v + x_ * m_)) / (p * x_ + q - 1)
        return np.where(x_ > 0, own, population)


def lifetime_value(
    model: BetaGeoModel,
    value: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    *,
    periods: int = 12,
    period: float = 13.0,
    yearly_discount: float = 0.10,
) -> np.ndarray:
    """Expected value of the purchases to come over ``periods`` x ``period`` (default 12
    quarters of 13 weeks: three years), each quarter discounted at ``yearly_discount``."""
    total = np.zeros(len(value))
    before = np.zeros(len(value))
    for k in range(1, periods + 1):
        upto = model.expected_purchases(k * period, x, t_x, T)
        discount = (1 + yearly_discount) ** (k * period / 52.0)
        total += (upto - before) / discount
        before = upto
    return total * value


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float,
    *,
    random_state: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` people from a BG/NBD with the given parameters, each watched for ``T`` after
    a first purchase at 0; returns ``(x, t_x, T)`` (for tests and benchmarks)."""
    rng = np.random.default_rng(random_state)
    rates = rng.gamma(r, 1.0 / alpha, size=n)
    drops = rng.beta(a, b, size=n)
    xs, txs = np.zeros(n), np.zeros(n)
    for i in range(n):
        t, count = 0.0, 0
        while True:
            t += rng.exponential(1.0 / rates[i]) if rates[i] > 0 else np.inf
            if t > T:
                break
            count += 1
            txs[i] = t
            if rng.random() < drops[i]:
                break
        xs[i] = count
    return xs, txs, np.full(n, T)
