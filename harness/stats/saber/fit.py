"""Beta-binomial maximum likelihood for SABER (paper eqs. 9, 81-85) and the zero-inflated extension (eqs. 34-36).

theta_i ~ Beta(alpha, beta), k_i | theta_i ~ Binomial(n_i, theta_i), so k_i ~ BetaBinomial(n_i, alpha, beta):
  l(a, b) = sum_i [log B(k_i + a, n_i - k_i + b)] - K log B(a, b) + const.
We optimise over (log a, log b) with the analytic score, from several starts, then polish with Newton steps on
the analytic Hessian, and accept only when the gradient is ~0 (L-BFGS-B often reports "ABNORMAL" at the optimum).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, polygamma, psi

from harness.stats.saber.data import QueryCounts

LOG_BOUNDS = (-12.0, 12.0)  # alpha, beta in [6e-6, 1.6e5]; hitting a bound means the MLE does not exist
_GTOL = 1e-6  # on the per-query mean log-likelihood gradient in log space


@dataclass(frozen=True)
class BetaBinomialFit:
    alpha: float
    beta: float
    loglik: float  # full log-likelihood including the binomial coefficients
    se_alpha: float  # from the observed information (NaN when it is not negative definite)
    se_beta: float
    converged: bool
    at_bound: bool
    grad_norm: float
    n_starts: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _log_comb(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def loglik(alpha: float, beta: float, data: QueryCounts) -> float:
    """Full Beta-binomial log-likelihood, equal to sum(scipy.stats.betabinom.logpmf(k, n, alpha, beta))."""
    k, n, w = data.k, data.n, data.w
    per = _log_comb(n, k) + betaln(k + alpha, n - k + beta) - betaln(alpha, beta)
    return float((w * per).sum())


def _value_grad(x: np.ndarray, k: np.ndarray, n: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative mean log-likelihood (kernel only) and its gradient in (log a, log b)."""
    a, b = np.exp(x)
    W = w.sum()
    ll = (w * betaln(k + a, n - k + b)).sum() - W * betaln(a, b)
    psi_nab = psi(n + a + b)
    psi_ab = psi(a + b)
    ga = (w * (psi(k + a) - psi_nab)).sum() - W * (psi(a) - psi_ab)
    gb = (w * (psi(n - k + b) - psi_nab)).sum() - W * (psi(b) - psi_ab)
    return -ll / W, -np.array([ga * a, gb * b]) / W


def _score_hessian_ab(a: float, b: float, k: np.ndarray, n: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score and Hessian of the log-likelihood in (a, b) (paper eqs. 81-85)."""
    W = w.sum()
    psi_nab, psi_ab = psi(n + a + b), psi(a + b)
    ga = (w * (psi(k + a) - psi_nab)).sum() - W * (psi(a) - psi_ab)
    gb = (w * (psi(n - k + b) - psi_nab)).sum() - W * (psi(b) - psi_ab)
    t_nab, t_ab = polygamma(1, n + a + b), polygamma(1, a + b)
    haa = (w * (polygamma(1, k + a) - t_nab)).sum() - W * (polygamma(1, a) - t_ab)
    hbb = (w * (polygamma(1, n - k + b) - t_nab)).sum() - W * (polygamma(1, b) - t_ab)
    hab = -(w * t_nab).sum() + W * t_ab
    return np.array([ga, gb]), np.array([[haa, hab], [hab, hbb]])


def _moment_start(data: QueryCounts) -> tuple[float, float]:
    theta = (data.k + 0.5) / (data.n + 1.0)
    w = data.w / data.w.sum()
    m = float(np.clip((w * theta).sum(), 1e-3, 1 - 1e-3))
    v = float(max((w * (theta - m) ** 2).sum(), 1e-4 * m * (1 - m)))
    t = max(m * (1 - m) / v - 1.0, 1e-2)
    return max(m * t, 1e-2), max((1 - m) * t, 1e-2)


def _newton_polish(x: np.ndarray, data: QueryCounts, steps: int = 8) -> np.ndarray:
    """A few Newton steps in log space; each must not lower the likelihood (else stop)."""
    k, n, w = data.k, data.n, data.w
    f, _ = _value_grad(x, k, n, w)
    for _ in range(steps):
        a, b = np.exp(x)
        g, h = _score_hessian_ab(a, b, k, n, w)
        gx = g * np.array([a, b])
        hx = h * np.outer([a, b], [a, b]) + np.diag(gx)
        try:
            step = -np.linalg.solve(hx, gx)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or np.linalg.eigvalsh(hx).max() >= 0:
            break
        cand = np.clip(x + step, *LOG_BOUNDS)
        fc, _ = _value_grad(cand, k, n, w)
        if not fc <= f + 1e-15:
            break
        x, f = cand, fc
        if np.abs(step).max() < 1e-12:
            break
    return x


def fit_beta_binomial(data: QueryCounts, init: tuple[float, float] | None = None) -> BetaBinomialFit:
    """One-stage Beta-binomial MLE over per-query budgets n_i, several starts, convergence checked."""
    k, n, w = data.k, data.n, data.w
    starts = [init] if init is not None else []
    starts += [_moment_start(data), (0.5, 2.0), (0.1, 1.0), (1.0, 10.0), (0.05, 50.0)]
    best: tuple[float, np.ndarray] | None = None
    for s in starts:
        x0 = np.clip(np.log(np.asarray(s, dtype=float)), *LOG_BOUNDS)
        res = minimize(_value_grad, x0, args=(k, n, w), jac=True, method="L-BFGS-B",
                       bounds=[LOG_BOUNDS, LOG_BOUNDS], options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000})
        if best is None or res.fun < best[0]:
            best = (float(res.fun), res.x)
    assert best is not None
    x = _newton_polish(best[1], data)
    return _finish(x, data, len(starts))


def _finish(x: np.ndarray, data: QueryCounts, n_starts: int) -> BetaBinomialFit:
    k, n, w = data.k, data.n, data.w
    _, grad = _value_grad(x, k, n, w)
    at_bound = bool(np.any(np.abs(x - LOG_BOUNDS[0]) < 1e-3) or np.any(np.abs(x - LOG_BOUNDS[1]) < 1e-3))
    grad_norm = float(np.abs(grad).max())
    a, b = (float(v) for v in np.exp(x))
    se_a = se_b = float("nan")
    _, h = _score_hessian_ab(a, b, k, n, w)
    try:
        cov = np.linalg.inv(-h)
        if np.all(np.isfinite(cov)) and cov[0, 0] > 0 and cov[1, 1] > 0:
            se_a, se_b = float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))
    except np.linalg.LinAlgError:
        pass
    converged = grad_norm < _GTOL and not at_bound
    if at_bound:
        message = "the MLE runs to a parameter bound (no finite maximum): the data do not identify (alpha, beta)"
    elif grad_norm >= _GTOL:
        message = f"optimizer stopped with gradient {grad_norm:.2e} (not converged)"
    else:
        message = "converged"
    return BetaBinomialFit(a, b, loglik(a, b, data), se_a, se_b, converged, at_bound, grad_norm, n_starts, message)


def fit_many(data: QueryCounts, weights: np.ndarray, start: tuple[float, float], max_iter: int = 60) -> np.ndarray:
    """Refit the MLE for many reweightings at once (query bootstrap): damped Newton in log space, vectorised over
    rows of `weights` (shape B x groups), warm-started at `start`. Rows that fail to converge are refitted one by
    one with the multi-start optimizer. Returns an array (B, 2) of (alpha, beta)."""
    k, n = data.k[None, :], data.n[None, :]
    w = np.asarray(weights, dtype=float)
    W = w.sum(axis=1)
    B = w.shape[0]
    x = np.tile(np.log(np.asarray(start, dtype=float)), (B, 1))

    def value(xx: np.ndarray) -> np.ndarray:
        a, b = np.exp(xx[:, :1]), np.exp(xx[:, 1:])
        return ((w * betaln(k + a, n - k + b)).sum(axis=1) - W * betaln(a, b)[:, 0]) / W

    f = value(x)
    done = np.zeros(B, dtype=bool)
    for _ in range(max_iter):
        a, b = np.exp(x[:, 0]), np.exp(x[:, 1])
        A, Bb = a[:, None], b[:, None]
        psi_nab, psi_ab = psi(n + A + Bb), psi(a + b)
        ga = ((w * (psi(k + A) - psi_nab)).sum(axis=1) - W * (psi(a) - psi_ab)) / W
        gb = ((w * (psi(n - k + Bb) - psi_nab)).sum(axis=1) - W * (psi(b) - psi_ab)) / W
        t_nab, t_ab = polygamma(1, n + A + Bb), polygamma(1, a + b)
        haa = ((w * (polygamma(1, k + A) - t_nab)).sum(axis=1) - W * (polygamma(1, a) - t_ab)) / W
        hbb = ((w * (polygamma(1, n - k + Bb) - t_nab)).sum(axis=1) - W * (polygamma(1, b) - t_ab)) / W
        hab = (-(w * t_nab).sum(axis=1) + W * t_ab) / W
        gx = np.stack([ga * a, gb * b], axis=1)
        h11, h22, h12 = haa * a * a + ga * a, hbb * b * b + gb * b, hab * a * b
        done |= np.abs(gx).max(axis=1) < _GTOL
        if done.all():
            break
        det = h11 * h22 - h12 * h12
        concave = (h11 < 0) & (det > 0)
        # Newton direction where the Hessian is negative definite, else plain gradient ascent.
        step = np.where(concave[:, None],
                        -np.stack([h22 * gx[:, 0] - h12 * gx[:, 1], h11 * gx[:, 1] - h12 * gx[:, 0]], axis=1)
                        / np.where(concave, det, 1.0)[:, None],
                        gx)
        step = np.clip(step, -2.0, 2.0)
        step[done] = 0.0
        t = np.ones(B)
        for _ in range(30):
            cand = np.clip(x + t[:, None] * step, *LOG_BOUNDS)
            fc = value(cand)
            ok = (fc >= f - 1e-14) | done
            if ok.all():
                break
            t = np.where(ok, t, t / 2)
        x = np.where((fc >= f)[:, None], cand, x)
        f = np.maximum(fc, f)
    out = np.exp(x)
    for i in np.flatnonzero(~done):
        fit = fit_beta_binomial(data.reweighted(w[i]), init=(float(out[i, 0]), float(out[i, 1])))
        out[i] = (fit.alpha, fit.beta)
    return out


@dataclass(frozen=True)
class ZeroInflatedFit:
    """theta ~ pi·delta_0 + (1-pi)·Beta(alpha, beta): a share pi of queries can never be broken (paper eqs. 34-36)."""

    pi: float
    alpha: float
    beta: float
    loglik: float
    lr_stat: float  # 2·(loglik - Beta-binomial loglik)
    p_value: float  # boundary LR test of pi = 0: 0.5·chi2_1 tail
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _zi_loglik(x: np.ndarray, data: QueryCounts) -> float:
    pi = 1.0 / (1.0 + np.exp(-x[0]))
    a, b = np.exp(x[1]), np.exp(x[2])
    k, n, w = data.k, data.n, data.w
    log_bb = _log_comb(n, k) + betaln(k + a, n - k + b) - betaln(a, b)
    zero = k == 0
    per = np.where(zero, np.logaddexp(np.log(pi), np.log1p(-pi) + log_bb), np.log1p(-pi) + log_bb)
    return float((w * per).sum())


def fit_zero_inflated(data: QueryCounts, bb: BetaBinomialFit) -> ZeroInflatedFit:
    """Three-parameter zero-inflated Beta-binomial MLE; pi and a small alpha are only weakly identified at n ~ 100."""
    from scipy.stats import chi2

    W = data.w.sum()
    best = None
    for pi0 in (0.01, 0.1, 0.3):
        for ab in ((bb.alpha, bb.beta), (1.0, 5.0), (0.3, 2.0)):
            x0 = np.array([np.log(pi0 / (1 - pi0)), np.log(ab[0]), np.log(ab[1])])
            res = minimize(lambda x: -_zi_loglik(x, data) / W, x0, method="L-BFGS-B",
                           bounds=[(-15.0, 15.0), LOG_BOUNDS, LOG_BOUNDS], options={"ftol": 1e-13, "maxiter": 2000})
            if best is None or res.fun < best.fun:
                best = res
    assert best is not None
    ll = -float(best.fun) * W
    if ll < bb.loglik:
        # The optimiser ended below the nested model; pi = 0 with the Beta-binomial's (alpha, beta) is the better
        # point of the zero-inflated family, so report that point, not the worse one's parameters.
        return ZeroInflatedFit(0.0, bb.alpha, bb.beta, float(bb.loglik), 0.0, 1.0, True)
    lr = max(0.0, 2.0 * (ll - bb.loglik))
    pi = float(1.0 / (1.0 + np.exp(-best.x[0])))
    return ZeroInflatedFit(pi, float(np.exp(best.x[1])), float(np.exp(best.x[2])), float(ll), float(lr),
                           float(0.5 * chi2.sf(lr, 1)) if lr > 0 else 1.0, bool(best.success))
