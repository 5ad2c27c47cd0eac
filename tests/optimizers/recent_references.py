"""Float64 NumPy references of the optimizers of 2017–2025 in the catalogue.

Same contract as tests/optimizers/test_rules.py's ``ref_<slug>``: a factory of the
catalogue's hyperparameters returns ``update(t, g, p) -> Δp`` with t = 1, 2, ... (optax's
count after its increment) and keeps its own state. Each is written from the paper's
equations in the convention optax 0.2.8 runs (read from ``optax/_src/alias.py``,
``transform.py``, ``factorized.py`` and ``optax/contrib``); the docstring says where
optax departs from the paper. The 2-D point is one parameter array, so every "per
layer" norm is the norm of the whole point.
"""

from __future__ import annotations

import math

import numpy as np


def _norm(x) -> float:
    return float(np.linalg.norm(x))


class _Start:
    """p₀, remembered at the first update (several methods measure from it)."""

    def __init__(self):
        self.p0 = None

    def __call__(self, p):
        if self.p0 is None:
            self.p0 = np.array(p, dtype=np.float64)
        return self.p0


def _trust_ratio(numerator: float, update_norm: float) -> float:
    """optax's ``scale_by_trust_ratio``: 1 where either norm is zero."""
    return 1.0 if numerator == 0.0 or update_norm == 0.0 else numerator / update_norm


# -- parameter-free --------------------------------------------------------------------


def ref_prodigy(learning_rate, b1, b2, eps, estim_lr0, estim_lr_coef, weight_decay):
    """Mishchenko & Defazio (2024), Algorithm 3 (Prodigy with Adam), in the form of the
    authors' code that optax follows: η̂ = η d_t √(1−β₂ᵗ)/(1−β₁ᵗ);
    m ← β₁m + (1−β₁) d_t g, v ← β₂v + (1−β₂) d_t² g², s ← β₃s + (d_t/d₀) η̂ g,
    r ← β₃r + (d_t/d₀) η̂ ⟨g, p₀ − p⟩ (the paper's (1−β₃) weights cancel in r/‖s‖₁),
    d_{t+1} = max(d_t, c r/‖s‖₁), Δp = −η̂ (m/(√v + d_{t+1} ε) + λp), β₃ = √β₂.
    optax's ε is scaled by the *new* estimate d_{t+1}.
    """
    b3 = math.sqrt(b2)
    m, v, s = np.zeros(2), np.zeros(2), np.zeros(2)
    r, d, start = 0.0, estim_lr0, _Start()

    def update(t, g, p):
        nonlocal m, v, s, r, d
        p0 = start(p)
        dlr = d * learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t)
        m = b1 * m + (1 - b1) * d * g
        v = b2 * v + (1 - b2) * (d * g) ** 2
        s = b3 * s + dlr * d * g / estim_lr0
        r = b3 * r + d / estim_lr0 * dlr * float(g @ (p0 - p))
        d_next = max(d, estim_lr_coef * r / np.abs(s).sum())
        step = -weight_decay * dlr * p - dlr * m / (np.sqrt(v) + d_next * eps)
        d = d_next
        return step

    return update


def ref_dadapt_adamw(learning_rate, b1, b2, eps, estim_lr0, weight_decay):
    """Defazio & Mishchenko (2023), D-Adapted Adam: η̂ = η d_t √(1−β₂ᵗ)/(1−β₁ᵗ);
    r ← √β₂ r + (1−√β₂) η̂ ⟨g, s/(√v + ε)⟩ with the previous s and v; m ← β₁m + (1−β₁)η̂g;
    v ← β₂v + (1−β₂)g²; s ← √β₂ s + (1−√β₂) η̂ g; d_{t+1} = max(d_t, r/((1−√β₂)‖s‖₁));
    Δp = −m/(√v + ε) − λ η̂ p (the step size lives inside m).
    """
    sb2 = math.sqrt(b2)
    m, v, s = np.zeros(2), np.zeros(2), np.zeros(2)
    r, d = 0.0, estim_lr0

    def update(t, g, p):
        nonlocal m, v, s, r, d
        dlr = d * learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t)
        inner = float(g @ (s / (np.sqrt(v) + eps)))
        m = b1 * m + (1 - b1) * dlr * g
        v = b2 * v + (1 - b2) * g**2
        s = sb2 * s + (1 - sb2) * dlr * g
        r = sb2 * r + (1 - sb2) * dlr * inner
        d = max(d, r / ((1 - sb2) * np.abs(s).sum()))
        return -m / (np.sqrt(v) + eps) - weight_decay * dlr * p

    return update


def ref_dog(learning_rate, init_step_value, eps, weight_decay):
    """Ivgi, Hinder & Carmon (2023), eq. (1) (DoG): η_t = r̄_t/√(Σ_{i≤t}‖g_i‖² + ε),
    r̄_t = max(r_ε, max_{i≤t}‖p_i − p₀‖), with optax's "heuristic" r_ε = ρ(1 + ‖p₀‖);
    Δp = −η η_t g. optax's weight decay adds λp to g before everything."""
    start, sum_sq, r_bar = _Start(), 0.0, None

    def update(t, g, p):
        nonlocal sum_sq, r_bar
        p0 = start(p)
        g = g + weight_decay * p
        if r_bar is None:
            r_bar = init_step_value * (1 + _norm(p0))
        r_bar = max(r_bar, _norm(p0 - p))
        sum_sq += _norm(g) ** 2
        return -learning_rate * r_bar / math.sqrt(sum_sq + eps) * g

    return update


def ref_dowg(learning_rate, eps, weight_decay):
    """Khaled, Mishchenko & Jin (2023), Algorithm 1 (DoWG): r̄_t² = max(r̄_{t−1}², ‖p_t − p₀‖²),
    v_t = v_{t−1} + r̄_t²‖g_t‖², Δp = −η r̄_t²/(√v_t + ε) g_t; optax starts r̄² at ε
    (``init_estim_sq_dist=None``) and adds λp to g."""
    start, r2, weighted = _Start(), eps, 0.0

    def update(t, g, p):
        nonlocal r2, weighted
        p0 = start(p)
        g = g + weight_decay * p
        r2 = max(r2, _norm(p - p0) ** 2)
        weighted += r2 * _norm(g) ** 2
        return -learning_rate * r2 / (math.sqrt(weighted) + eps) * g

    return update


def ref_cocob(learning_rate, alpha, eps, weight_decay):
    """Orabona & Tommasi (2017), COCOB-Backprop, per coordinate, with optax's g̃ = η(g + λp):
    L ← max(L, |g̃|) (L₀ = ε), G ← G + |g̃|, R ← max(R − g̃(p − p₀), 0), θ ← θ − g̃,
    p_{t+1} = p₀ + θ (L + R)/(L max(G + L, αL))."""
    start = _Start()
    scale, total, reward, theta = np.full(2, eps), np.zeros(2), np.zeros(2), np.zeros(2)

    def update(t, g, p):
        nonlocal scale, total, reward, theta
        p0 = start(p)
        g = learning_rate * (g + weight_decay * p)
        scale = np.maximum(scale, np.abs(g))
        total = total + np.abs(g)
        reward = np.maximum(reward - g * (p - p0), 0.0)
        theta = theta - g
        target = p0 + theta / (scale * np.maximum(total + scale, alpha * scale)) * (scale + reward)
        return target - p

    return update


# -- adaptive ----------------------------------------------------------------------------


def ref_adopt(learning_rate, b1, b2, eps):
    """Taniguchi et al. (2024), Algorithm 2 (ADOPT with clipping): v₀ = g₀² at the first
    update, which does not move; then m_t = β₁m + (1−β₁) clip(g_t/max(√v_{t−1}, ε), c),
    v_t = β₂v + (1−β₂)g_t², Δp = −η m_t, with c = k^¼ at the k-th move (optax's
    ``clip_value_fn`` of its count, which starts at 0 on the first update)."""
    m, v = np.zeros(2), None

    def update(t, g, p):
        nonlocal m, v
        if v is None:
            v = g**2
            return np.zeros(2)
        clip = (t - 1) ** 0.25
        m = b1 * m + (1 - b1) * np.clip(g / np.maximum(np.sqrt(v), eps), -clip, clip)
        v = b2 * v + (1 - b2) * g**2
        return -learning_rate * m

    return update


def ref_ademamix(learning_rate, b1, b2, b3, alpha, eps, weight_decay):
    """Pagliardini, Ablin & Grangier (2025), Algorithm 1 with constant α and β₃ (optax's
    alias): m₁ ← β₁m₁ + (1−β₁)g, m₂ ← β₃m₂ + (1−β₃)g, ν ← β₂ν + (1−β₂)g²,
    Δp = −η((m₁/(1−β₁ᵗ) + α m₂)/(√(ν/(1−β₂ᵗ)) + ε) + λp); m₂ is not bias-corrected."""
    m1, m2, nu = np.zeros(2), np.zeros(2), np.zeros(2)

    def update(t, g, p):
        nonlocal m1, m2, nu
        m1 = b1 * m1 + (1 - b1) * g
        m2 = b3 * m2 + (1 - b3) * g
        nu = b2 * nu + (1 - b2) * g**2
        direction = (m1 / (1 - b1**t) + alpha * m2) / (np.sqrt(nu / (1 - b2**t)) + eps)
        return -learning_rate * (direction + weight_decay * p)

    return update


def ref_lamb(learning_rate, b1, b2, eps, weight_decay):
    """You et al. (2020), Algorithm 2 (LAMB) with φ the identity: Adam's m̂, v̂ (t from 1),
    u = m̂/(√v̂ + ε) + λp, Δp = −η (‖p‖/‖u‖) u (ratio 1 where a norm is 0)."""
    m, v = np.zeros(2), np.zeros(2)

    def update(t, g, p):
        nonlocal m, v
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        u = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps) + weight_decay * p
        return -learning_rate * _trust_ratio(_norm(p), _norm(u)) * u

    return update


def ref_lars(learning_rate, weight_decay, trust_coefficient, eps, momentum):
    """You, Gitman & Ginsburg (2017), Algorithm 1 (LARS) in optax's order: ĝ = g + λp,
    local rate τ‖p‖/(‖ĝ‖ + ε) (1 where a norm is 0), v ← βv + η·rate·ĝ (optax's trace,
    no (1−β)), Δp = −v."""
    v = np.zeros(2)

    def update(t, g, p):
        nonlocal v
        g = g + weight_decay * p
        p_norm, g_norm = _norm(p), _norm(g)
        rate = 1.0 if p_norm == 0 or g_norm == 0 else trust_coefficient * p_norm / (g_norm + eps)
        v = -learning_rate * rate * g + momentum * v
        return v

    return update


def ref_novograd(learning_rate, b1, b2, eps, weight_decay):
    """Ginsburg et al. (2019), Algorithm 1 (NovoGrad): ν₁ = ‖g₁‖², ν_t = β₂ν + (1−β₂)‖g_t‖²;
    m₁ = g₁/(√ν₁ + ε) + λp₁, m_t = β₁m + g_t/(√ν_t + ε) + λp_t; Δp = −η m_t."""
    m, nu = np.zeros(2), 0.0

    def update(t, g, p):
        nonlocal m, nu
        sq = _norm(g) ** 2
        nu = sq if t == 1 else b2 * nu + (1 - b2) * sq
        fresh = g / (math.sqrt(nu) + eps) + weight_decay * p
        m = fresh if t == 1 else b1 * m + fresh
        return -learning_rate * m

    return update


def ref_sm3(learning_rate, momentum):
    """Anil et al. (2019), SM3-II on a vector, where each coordinate is its own cover set:
    G ← G + g² (from 0), u = g/√(G + 10⁻⁸) (0 where G = 0), m ← βm + (1−β)u, Δp = −η m."""
    acc, m = np.zeros(2), np.zeros(2)

    def update(t, g, p):
        nonlocal acc, m
        acc = acc + g**2
        u = np.where(acc > 0, g / np.sqrt(acc + 1e-8), 0.0)
        m = momentum * m + (1 - momentum) * u
        return -learning_rate * m

    return update


def _rms(x) -> float:
    return math.sqrt(float(np.mean(x**2)))


def ref_adafactor(learning_rate, decay_rate, clipping_threshold, eps):
    """Shazeer & Stern (2018), Algorithm 4 (vector case, no factoring) with optax's
    constant η for the relative step: β̂₂ = 1 − t^(−c), v ← β̂₂v + (1−β̂₂)(g² + ε₁),
    u = g/√v, û = u/max(1, RMS(u)/d), Δp = −η max(RMS(p), 10⁻³) û."""
    v = np.zeros(2)

    def update(t, g, p):
        nonlocal v
        beta = 1.0 - t ** (-decay_rate)
        v = beta * v + (1 - beta) * (g**2 + eps)
        u = g / np.sqrt(v)
        u = u / max(1.0, _rms(u) / clipping_threshold)
        return -learning_rate * max(_rms(p), 1e-3) * u

    return update


def ref_adan(learning_rate, b1, b2, b3, eps, weight_decay, eps_root=1e-8):
    """Xie et al. (2024), Algorithm 1 (Adan) with optax's β = 1 − (the paper's β) and bias
    correction: Δg = g − g_prev (0 at t = 1), m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)Δg,
    n ← β₃n + (1−β₃)(g + (1−β₂)Δg)², Δp = −η((m̂ + (1−β₂)v̂)/(√(n̂ + ε_root) + ε) + λp)
    (optax's decoupled decay in place of the paper's division by 1 + λη)."""
    m, v, n, previous = np.zeros(2), np.zeros(2), np.zeros(2), None

    def update(t, g, p):
        nonlocal m, v, n, previous
        diff = np.zeros(2) if previous is None else g - previous
        previous = g
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * diff
        n = b3 * n + (1 - b3) * (g + (1 - b2) * diff) ** 2
        m_hat, v_hat, n_hat = m / (1 - b1**t), v / (1 - b2**t), n / (1 - b3**t)
        direction = (m_hat + (1 - b2) * v_hat) / (np.sqrt(n_hat + eps_root) + eps)
        return -learning_rate * (direction + weight_decay * p)

    return update


def ref_madgrad(learning_rate, momentum, weight_decay, eps):
    """Defazio & Jelassi (2022), Algorithm 1 (MADGRAD) with optax's λ_t = (η + ε)√t and
    coupled decay ĝ = g + λp: s ← s + λ_t ĝ, ν ← ν + λ_t ĝ², z = p₀ − s/(∛ν + ε),
    p_{t+1} = βp_t + (1−β)z (the paper's c = 1 − β)."""
    start, s, nu = _Start(), np.zeros(2), np.zeros(2)

    def update(t, g, p):
        nonlocal s, nu
        p0 = start(p)
        g = g + weight_decay * p
        weight = (learning_rate + eps) * math.sqrt(t)
        s = s + weight * g
        nu = nu + weight * g**2
        z = p0 - s / (np.cbrt(nu) + eps)
        return (1 - momentum) * z + momentum * p - p

    return update


def _floored_norm(x, floor: float) -> float:
    """optax's ``safe_norm``: the norm, or ``floor`` where it does not exceed it."""
    n = _norm(x)
    return floor if n <= floor else n


def ref_fromage(learning_rate, min_norm):
    """Bernstein et al. (2020), Algorithm 1 (Fromage): p_{t+1} = (p − η‖p‖/‖g‖ g)/√(1+η²),
    both norms floored at ``min_norm`` (optax)."""
    shrink = 1 / math.sqrt(1 + learning_rate**2)

    def update(t, g, p):
        ratio = _trust_ratio(_floored_norm(p, min_norm), _floored_norm(g, min_norm))
        return shrink * (p - learning_rate * ratio * g) - p

    return update


# -- sign-based --------------------------------------------------------------------------


def ref_sign_sgd(learning_rate):
    """Bernstein et al. (2018), Algorithm 1 (signSGD): Δp = −η sign(g)."""

    def update(t, g, p):
        return -learning_rate * np.sign(g)

    return update


def ref_signum(learning_rate, beta):
    """Bernstein et al. (2018), Signum: m ← βm + (1−β)g (from 0, no bias correction),
    Δp = −η sign(m)."""
    m = np.zeros(2)

    def update(t, g, p):
        nonlocal m
        m = beta * m + (1 - beta) * g
        return -learning_rate * np.sign(m)

    return update


def ref_rprop(learning_rate, eta_minus, eta_plus, min_step_size, max_step_size):
    """Riedmiller & Braun (1993) as iRprop⁻ (Igel & Hüsken 2000), per coordinate, in
    optax 0.2.8's convention. The stored step is d = Δ·sign(g) (0 after a sign flip);
    σ = g_t d_{t−1}: Δ grows by η⁺ if σ > 0 and shrinks by η⁻ if σ < 0 (clipped to
    [Δ_min, Δ_max]), stays if σ = 0; Δ₀ = η. optax returns the step stored at the
    *previous* update (0 where σ < 0), so every move comes one update late and the
    first update does not move: Δp_t = −d_{t−1}, or 0 where σ_t < 0."""
    size, stored = np.full(2, float(learning_rate)), np.zeros(2)

    def update(t, g, p):
        nonlocal size, stored
        sigma = g * stored
        factor = np.where(sigma > 0, eta_plus, eta_minus)
        size = np.where(sigma == 0, size, np.clip(size * factor, min_step_size, max_step_size))
        move = np.where(sigma < 0, 0.0, stored)
        stored = np.where(sigma < 0, 0.0, size * np.sign(g))
        return -move

    return update


RECENT_REFERENCES = {
    "prodigy": ref_prodigy, "dadapt_adamw": ref_dadapt_adamw, "dog": ref_dog,
    "dowg": ref_dowg, "cocob": ref_cocob, "adopt": ref_adopt, "ademamix": ref_ademamix,
    "lamb": ref_lamb, "lars": ref_lars, "novograd": ref_novograd, "sm3": ref_sm3,
    "adafactor": ref_adafactor, "adan": ref_adan, "madgrad": ref_madgrad,
    "fromage": ref_fromage, "sign_sgd": ref_sign_sgd, "signum": ref_signum,
    "rprop": ref_rprop,
}
