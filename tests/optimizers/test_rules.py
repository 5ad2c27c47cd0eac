"""Every optimizer of the catalogue against an independent NumPy float64 reference.

Each ``ref_<slug>`` below is written from the paper's update equations, in the convention
optax 0.2.8 actually runs (read from ``optax/_src/transform.py`` and ``alias.py``); where
the two differ, the docstring says which one the reference follows and why. Gradients
(and Hessians, for Newton) are written out by hand, so no JAX is involved on the
reference side.

The engine runs in float32, the references in float64 from the same float32-rounded
inputs (the engine packs every scalar as float32), so paths are compared to
``rtol=1e-4`` and an absolute tolerance of ``1e-5`` times the landscape's size, over
horizons short enough (30 steps) that float32 rounding stays at that level. The newer
optimizers are matched over 100 steps on surfaces and starts chosen so that rounding
does not grow (see ``RECENT_SURFACES`` and ``LONG_RULES``).

Compile budget: the engine compiles once per (loss function, optimizer, step bucket,
batch bucket), about a second each. The update-rule tests therefore run on ``TRIO``, a
test landscape whose traced parameter ``surface`` picks the registry's own quadratic,
Booth or Himmelblau loss function, and every optimizer is a member of one
``optimizers.ensemble`` (a few ensembles of a dozen): one program, one batch per surface,
serves all of its members' cases (a
separate test checks that ``TRIO`` reproduces the registered landscapes; the divergence
matrix, that an ensemble's member runs as the optimizer alone).

Also here: gradient clipping, additive gradient noise, schedules applied to the learning
rate, divergence bookkeeping, batching, compilation counts and cross-process
determinism of ``optimizers.simulate``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
import pytest

import optimizers
from hparam import HParam
from landscapes import LANDSCAPES, Landscape
from landscapes.classic import booth, himmelblau, quadratic
from optimizers import OPTIMIZERS, Trajectory, engine
from optimizers.ensemble import WHICH, ensemble, groups, member_key
from tests.helpers import single_runs
from tests.optimizers.recent_references import RECENT_REFERENCES

ROOT = Path(__file__).resolve().parents[2]
STEPS = 30  # one step bucket (64) for every run of this file, except where noted

Vec = np.ndarray
Grad = Callable[[Vec], Vec]


def f32(x):
    """``x`` rounded to float32 as the engine packs it, returned as float64."""
    return np.asarray(x, np.float32).astype(np.float64)


# ---------------------------------------------------------------------------------------
# Landscapes: hand-written gradients and Hessians (float64)
# ---------------------------------------------------------------------------------------


def _trio_loss(p, params):
    """The registry's quadratic (0), Booth (1) or Himmelblau (2) loss, by ``surface``.

    A one-hot weighted sum: the unselected terms add exact zeros (every test here stays
    where all three are finite), and it compiles as fast as a single landscape, unlike
    ``lax.switch``, which vmap turns into a select over all three branches anyway.
    """
    s = params["surface"]
    return ((s == 0) * quadratic(p, params) + (s == 1) * booth(p, params)
            + (s == 2) * himmelblau(p, params))


TRIO = Landscape(
    slug="test_trio", name="quadratic | Booth | Himmelblau", family="classic",
    loss=_trio_loss, domain=((-10.0, 10.0), (-10.0, 10.0)), start=(0.0, 0.0), latex="",
    params={"surface": HParam(0.0, 0.0, 2.0, integer=True),
            "kappa": HParam(10.0, 1.0, 1000.0), "theta": HParam(0.0, 0.0, 90.0)},
)


@dataclass(frozen=True)
class Surface:
    name: str
    landscape: Landscape  # TRIO bound to this surface
    registered: Landscape  # the same surface from the registry
    start: tuple[float, float]
    value: Callable[[Vec], float]
    grad: Grad
    hess: Callable[[Vec], Vec]
    size: float  # a length scale for absolute tolerances


def _quadratic(kappa: float, theta_deg: float) -> Surface:
    """½(u² + κv²), (u, v) = R(θ)(x, y): ∇f = Rᵀ diag(1, κ) R p, ∇²f = Rᵀ diag(1, κ) R."""
    th = math.radians(theta_deg)
    c, s = math.cos(th), math.sin(th)
    rot = np.array([[c, s], [-s, c]])
    hess = rot.T @ np.diag([1.0, kappa]) @ rot

    return Surface(
        name=f"quadratic(kappa={kappa}, theta={theta_deg})",
        landscape=TRIO.bind(surface=0, kappa=kappa, theta=theta_deg),
        registered=LANDSCAPES["quadratic"].bind(kappa=kappa, theta=theta_deg),
        start=(-1.8, 1.2),
        value=lambda p: 0.5 * float(p @ hess @ p),
        grad=lambda p: hess @ p,
        hess=lambda p: hess,
        size=2.0,
    )


def _booth_value(p):
    x, y = p
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def _booth_grad(p):
    x, y = p
    return np.array([10 * x + 8 * y - 34, 8 * x + 10 * y - 38])


def _himmelblau_value(p):
    x, y = p
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(p):
    x, y = p
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


def _himmelblau_hess(p):
    x, y = p
    a, b = x**2 + y - 11, x + y**2 - 7
    off = 4 * x + 4 * y
    return np.array([[4 * a + 8 * x**2 + 2, off], [off, 2 + 4 * b + 8 * y**2]])


def _rosenbrock_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


QUADRATIC = _quadratic(5.0, 30.0)
STEEP = _quadratic(20.0, 70.0)
GENTLE = _quadratic(1.5, 20.0)  # curvatures 1 and 1.5: stable for a step of 1
BOOTH = Surface("booth", TRIO.bind(surface=1), LANDSCAPES["booth"], (-8.0, 8.0),
                _booth_value, _booth_grad, lambda p: np.array([[10.0, 8.0], [8.0, 10.0]]),
                10.0)
HIMMELBLAU = Surface("himmelblau", TRIO.bind(surface=2), LANDSCAPES["himmelblau"],
                     (0.5, -0.5), _himmelblau_value, _himmelblau_grad, _himmelblau_hess, 5.0)
SURFACES = {"quadratic": QUADRATIC, "steep_quadratic": STEEP, "booth": BOOTH,
            "himmelblau": HIMMELBLAU, "gentle_quadratic": GENTLE,
            "booth_origin": dataclasses.replace(BOOTH, start=(0.0, 0.0)),
            "himmelblau_origin": dataclasses.replace(HIMMELBLAU, start=(0.0, 0.0))}


# ---------------------------------------------------------------------------------------
# Reference update rules. Each factory returns ``update(t, g, p) -> Δp`` with t = 1, 2, ...
# the paper's step index (optax's ``count`` after its increment) and keeps its own state.
# ---------------------------------------------------------------------------------------


def ref_sgd(learning_rate):
    """Robbins & Monro (1951): p ← p − η g (optax.sgd without momentum)."""

    def update(t, g, p):
        return -learning_rate * g

    return update


def ref_momentum(learning_rate, momentum):
    """Polyak's heavy ball (1964), p_{t+1} = p_t − η g_t + β (p_t − p_{t−1}).

    Written in optax's trace convention (``optax.trace``): v_t = g_t + β v_{t−1}, v_0 = 0,
    Δp = −η v_t, with no (1 − β) damping. For a constant η this is exactly Polyak's
    recursion, since −η v_t = −η g_t + β(−η v_{t−1}).
    """
    v = np.zeros(2)

    def update(t, g, p):
        nonlocal v
        v = g + momentum * v
        return -learning_rate * v

    return update


def ref_nesterov(learning_rate, momentum):
    """Nesterov momentum, Sutskever et al. (2013), eqs. 3–4, in optax's shifted variable.

    Sutskever: v ← βv − η∇f(θ + βv), θ ← θ + v. optax (``trace(nesterov=True)``) tracks
    the look-ahead point p = θ + βv instead: b_t = g_t + β b_{t−1}, Δp = −η (g_t + β b_t).
    """
    b = np.zeros(2)

    def update(t, g, p):
        nonlocal b
        b = g + momentum * b
        return -learning_rate * (g + momentum * b)

    return update


def ref_adagrad(learning_rate, initial_accumulator_value, eps):
    """Duchi, Hazan & Singer (2011), diagonal AdaGrad: Δp = −η g_t / √(Σ g²).

    optax's ``scale_by_rss`` convention: the sum starts at G_0 =
    ``initial_accumulator_value`` (not 0) and ε sits inside the root, √(G_t + ε) (the
    paper adds δ outside). optax also returns 0 where G_t = 0.
    """
    acc = np.full(2, float(initial_accumulator_value))

    def update(t, g, p):
        nonlocal acc
        acc = acc + g**2
        scale = np.where(acc > 0, 1.0 / np.sqrt(acc + eps), 0.0)
        return -learning_rate * scale * g

    return update


def ref_rmsprop(learning_rate, decay, eps):
    """Hinton, lecture 6e (2012): MeanSquare ← ρ MeanSquare + (1−ρ) g², Δp = −η g/√MS.

    optax's ``scale_by_rms`` defaults: ν_0 = 0, no bias correction, ε inside the root.
    """
    nu = np.zeros(2)

    def update(t, g, p):
        nonlocal nu
        nu = decay * nu + (1 - decay) * g**2
        return -learning_rate * g / np.sqrt(nu + eps)

    return update


def ref_adadelta(learning_rate, rho, eps):
    """Zeiler (2012), Algorithm 1, with optax's extra learning rate (Zeiler's is 1).

    E[g²]_t = ρE[g²]_{t−1} + (1−ρ)g², Δ_t = √(E[Δ²]_{t−1}+ε)/√(E[g²]_t+ε)·g,
    E[Δ²]_t = ρE[Δ²]_{t−1} + (1−ρ)Δ_t², both accumulators start at 0; the step is
    −η Δ_t and, as in optax, E[Δ²] accumulates the *unscaled* Δ_t.
    """
    eg = np.zeros(2)
    ex = np.zeros(2)

    def update(t, g, p):
        nonlocal eg, ex
        eg = rho * eg + (1 - rho) * g**2
        delta = np.sqrt(ex + eps) / np.sqrt(eg + eps) * g
        ex = rho * ex + (1 - rho) * delta**2
        return -learning_rate * delta

    return update


def _adam_moments(b1, b2):
    """Adam's first and second moments, both from 0 (Kingma & Ba, Algorithm 1)."""
    m = np.zeros(2)
    v = np.zeros(2)

    def moments(g):
        nonlocal m, v
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        return m, v

    return moments


def ref_adam(learning_rate, b1, b2, eps):
    """Kingma & Ba (2015), Algorithm 1: Δp = −η m̂_t/(√v̂_t + ε).

    optax's ``scale_by_adam``: ε outside the root (``eps_root`` = 0 inside), m̂ and v̂
    bias-corrected by 1 − βᵗ with t counted from 1.
    """
    moments = _adam_moments(b1, b2)

    def update(t, g, p):
        m, v = moments(g)
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return -learning_rate * m_hat / (np.sqrt(v_hat) + eps)

    return update


def ref_adamw(learning_rate, b1, b2, eps, weight_decay):
    """Loshchilov & Hutter (2019), Algorithm 2 (AdamW, decoupled weight decay).

    The paper's θ_t = θ_{t−1} − η_t(α m̂/(√v̂+ε) + λθ_{t−1}); optax (``adamw``) merges the
    schedule multiplier η_t and α into its learning rate: Δp = −η(m̂/(√v̂+ε) + λ p_t).
    """
    adam = ref_adam(1.0, b1, b2, eps)

    def update(t, g, p):
        return learning_rate * (adam(t, g, p) - weight_decay * p)

    return update


def ref_nadam(learning_rate, b1, b2, eps):
    """Dozat (2016), Algorithm 2 (NAdam) with a constant momentum schedule μ_t = β₁.

    m̄_t = β₁ m_t/(1 − β₁^{t+1}) + (1 − β₁) g_t/(1 − β₁ᵗ), Δp = −η m̄_t/(√v̂_t + ε), which is
    optax's ``scale_by_adam(nesterov=True)``; v̂ as Adam, ε outside the root.
    """
    moments = _adam_moments(b1, b2)

    def update(t, g, p):
        m, v = moments(g)
        m_bar = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        return -learning_rate * m_bar / (np.sqrt(v / (1 - b2**t)) + eps)

    return update


def ref_amsgrad(learning_rate, b1, b2, eps):
    """Reddi, Kale & Kumar (2018), Algorithm 2 (AMSGrad), in optax's convention.

    The paper keeps v̂_t = max(v̂_{t−1}, v_t) of the raw moment without bias correction;
    optax's ``scale_by_amsgrad`` bias-corrects both moments and takes the running
    maximum of the corrected v/(1 − β₂ᵗ) (from 0): Δp = −η m̂_t/(√ṽ_t + ε).
    """
    moments = _adam_moments(b1, b2)
    v_max = np.zeros(2)

    def update(t, g, p):
        nonlocal v_max
        m, v = moments(g)
        v_max = np.maximum(v_max, v / (1 - b2**t))
        return -learning_rate * (m / (1 - b1**t)) / (np.sqrt(v_max) + eps)

    return update


def ref_adamax(learning_rate, b1, b2, eps):
    """Kingma & Ba (2015), Algorithm 2 (AdaMax), §7.1.

    u_t = max(β₂ u_{t−1}, |g_t|) in the paper; optax's ``scale_by_adamax`` folds ε into
    the infinity norm, u_t = max(β₂ u_{t−1}, |g_t| + ε), u_0 = 0, and divides
    m_t/(1 − β₁ᵗ) by u_t.
    """
    m = np.zeros(2)
    u = np.zeros(2)

    def update(t, g, p):
        nonlocal m, u
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        return -learning_rate * m / (1 - b1**t) / u

    return update


def ref_adabelief(learning_rate, b1, b2, eps, eps_root=1e-16):
    """Zhuang et al. (2020), Algorithm 2 (AdaBelief).

    s_t = β₂ s_{t−1} + (1−β₂)(g_t − m_t)² + ε in the paper; optax's ``scale_by_belief``
    adds ``eps_root`` (default 1e-16, not the ε hyperparameter) to s_t, stores it, and
    uses ε only outside the root: Δp = −η m̂_t/(√(s_t/(1 − β₂ᵗ)) + ε).
    """
    m = np.zeros(2)
    s = np.zeros(2)

    def update(t, g, p):
        nonlocal m, s
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * (g - m) ** 2 + eps_root
        return -learning_rate * (m / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)

    return update


def ref_lion(learning_rate, b1, b2, weight_decay):
    """Chen et al. (2023), Algorithm 2 (Lion), which optax's ``lion`` follows exactly.

    c_t = β₁ m_{t−1} + (1 − β₁) g_t, Δp = −η(sign(c_t) + λ p_t),
    m_t = β₂ m_{t−1} + (1 − β₂) g_t, m_0 = 0.
    """
    m = np.zeros(2)

    def update(t, g, p):
        nonlocal m
        c = b1 * m + (1 - b1) * g
        m = b2 * m + (1 - b2) * g
        return -learning_rate * (np.sign(c) + weight_decay * p)

    return update


def ref_radam(learning_rate, b1, b2, eps, threshold):
    """Liu et al. (2020), Algorithm 2 (RAdam), with optax's threshold convention.

    ρ_∞ = 2/(1−β₂) − 1, ρ_t = ρ_∞ − 2tβ₂ᵗ/(1−β₂ᵗ); if ρ_t ≥ threshold (the paper: ρ_t > 4;
    optax's ``scale_by_radam``: ``threshold``, default 5) Δp = −η r_t m̂_t/(√v̂_t + ε) with
    r_t = √((ρ_t−4)(ρ_t−2)ρ_∞ / ((ρ_∞−4)(ρ_∞−2)ρ_t)), else Δp = −η m̂_t.

    Caveat: in float32 (the engine, and optax in float32) the subtraction for ρ_t cancels
    about three digits when β₂ = 0.999 (ρ₆ = 5.994 exactly, 6.0005 in float32), moving the
    tiny early r_t by 0.2 %: a few 1e-6 on these paths, inside the tolerance. A threshold
    within ~0.01 of some ρ_t could even take the other branch, so the settings tested
    here keep away from that.
    """
    moments = _adam_moments(b1, b2)
    rho_inf = 2.0 / (1.0 - b2) - 1.0

    def update(t, g, p):
        m, v = moments(g)
        rho = rho_inf - 2.0 * t * b2**t / (1.0 - b2**t)
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        if rho >= threshold:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho))
            return -learning_rate * r * m_hat / (np.sqrt(v_hat) + eps)
        return -learning_rate * m_hat

    return update


def ref_yogi(learning_rate, b1, b2, eps, initial=1e-6):
    """Zaheer et al. (2018), Algorithm 2 (Yogi), in optax's ``scale_by_yogi`` convention.

    v_t = v_{t−1} − (1−β₂) sign(v_{t−1} − g_t²) g_t²; optax starts *both* m and v at
    ``initial_accumulator_value`` = 1e-6, bias-corrects both as Adam does, and puts ε
    outside the root: Δp = −η m̂_t/(√v̂_t + ε).
    """
    m = np.full(2, initial)
    v = np.full(2, initial)

    def update(t, g, p):
        nonlocal m, v
        m = b1 * m + (1 - b1) * g
        v = v - (1 - b2) * np.sign(v - g**2) * g**2
        return -learning_rate * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)

    return update


def ref_newton(learning_rate, damping, *, hess):
    """Damped Newton (Nocedal & Wright §3.3; Levenberg 1944, Marquardt 1963).

    Δp = −η (∇²f(p_t) + λI)⁻¹ ∇f(p_t), the catalogue's own optax-style transform.
    """

    def update(t, g, p):
        return -learning_rate * np.linalg.solve(hess(p) + damping * np.eye(2), g)

    return update


def _drawn(update, point):
    """Give ``update`` a drawn point: ``point()`` (``None`` before the first update, when
    the drawn point is the start)."""
    update.shown = lambda p: p if point() is None else point()
    return update


def _schedule_free(learning_rate, b1, weight_lr_power, base_step):
    """Defazio et al. (2024), Schedule-Free (their Algorithm 1 with optax's weights), in
    optax.contrib.schedule_free's form: the iterate is y, z and x start at y₀,

    z_{t+1} = z_t + base_step(t, g(y_t), y_t),  c_{t+1} = η_max^r / Σ_{i≤t} η_max^r,
    x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1},  y_{t+1} = β₁ x_{t+1} + (1 − β₁) z_{t+1};

    the drawn point is x (optax recomputes it as (y − (1 − β₁) z)/β₁, which is the same
    number up to rounding). With a constant η, c_{t+1} = 1/t.
    """
    z = x = None
    weight_sum = max_lr = 0.0

    def update(t, g, p):
        nonlocal z, x, weight_sum, max_lr
        if z is None:
            z, x = p.copy(), p.copy()
        max_lr = max(max_lr, learning_rate)
        weight = max_lr**weight_lr_power
        weight_sum += weight
        c = weight / weight_sum
        z = z + base_step(t, g, p)
        x = (1 - c) * x + c * z
        return b1 * x + (1 - b1) * z - p

    return _drawn(update, lambda: x)


def ref_schedule_free_sgd(learning_rate, b1, weight_lr_power):
    """Schedule-free SGD: the base step is −η g(y_t)."""
    return _schedule_free(learning_rate, b1, weight_lr_power,
                          lambda t, g, y: -learning_rate * g)


def ref_schedule_free_adamw(learning_rate, b1, b2, eps, weight_decay, weight_lr_power):
    """Schedule-free AdamW (Defazio et al. 2024, Algorithm 2 in optax's form): Adam
    without momentum, v_t = β₂v_{t−1} + (1−β₂)g², v̂ = v/(1−β₂ᵗ), base step
    −η(g/(√v̂ + ε) + λ y_t), the decay at the gradient point y."""
    v = np.zeros(2)

    def base_step(t, g, y):
        nonlocal v
        v = b2 * v + (1 - b2) * g**2
        return -learning_rate * (g / (np.sqrt(v / (1 - b2**t)) + eps) + weight_decay * y)

    return _schedule_free(learning_rate, b1, weight_lr_power, base_step)


def ref_lookahead(learning_rate, slow_step_size, sync_period=5):
    """Zhang et al. (2019), Algorithm 1, around Adam (optax's β₁, β₂, ε; its count runs
    on across synchronizations, its state is never reset): after every k-th fast step
    φ ← φ + α(θ − φ), θ ← φ. The drawn point is the slow weights φ."""
    adam = ref_adam(learning_rate, 0.9, 0.999, 1e-8)
    slow = None

    def update(t, g, p):
        nonlocal slow
        if slow is None:
            slow = p.copy()
        fast = p + adam(t, g, p)
        if t % sync_period == 0:
            slow = slow + slow_step_size * (fast - slow)
            fast = slow
        return fast - p

    return _drawn(update, lambda: slow)


def ref_sam(learning_rate, rho, *, grad):
    """Foret et al. (2021), Algorithm 1 with SGD as the base: ε = ρ g/‖g‖,
    Δp = −η ∇f(p + ε); the drawn points are the outer iterates."""

    def update(t, g, p):
        return -learning_rate * grad(p + rho * g / np.linalg.norm(g))

    return update


def ref_polyak_sgd(learning_rate, max_learning_rate, eps, *, value, f_min=0.0):
    """Loizou et al. (2021), SPS_max, in optax.polyak_sgd's form: optax multiplies g by
    its scaling s before the Polyak step is computed from the scaled gradient, so
    Δp = −min((f(p) − f*)/(s²‖g‖² + ε), γ_max) s g, and no step where s²‖g‖² + ε is at
    most float64's machine epsilon."""

    def update(t, g, p):
        scaled = learning_rate * g
        denominator = scaled @ scaled + eps
        if denominator <= np.finfo(float).eps:
            return np.zeros(2)
        return -min((value(p) - f_min) / denominator, max_learning_rate) * scaled

    return update


def ref_momo(learning_rate, beta, weight_decay, *, value, f_min=0.0):
    """Schaipp et al. (2024), MoMo (Algorithm 1, with weight decay as optax writes it).

    f̄, d and γ are averages with weight β that start at the first values; with
    h = (1 + αλ)(f̄ − f* − γ) + ⟨d, p⟩, τ = min(α, h₊/‖d‖²) (0 where ‖d‖² ≤ machine ε),
    and Δp = −αλ/(1 + αλ) p − τ d.
    """
    d = np.zeros(2)
    f_bar = gamma = 0.0

    def update(t, g, p):
        nonlocal d, f_bar, gamma
        b = 0.0 if t == 1 else beta
        f_bar = b * f_bar + (1 - b) * value(p)
        d = b * d + (1 - b) * g
        gamma = b * gamma + (1 - b) * (g @ p)
        decay = learning_rate * weight_decay
        norm2 = d @ d
        h = max((1 + decay) * (f_bar - f_min - gamma) + d @ p, 0.0)
        tau = 0.0 if norm2 <= np.finfo(float).eps else min(learning_rate, h / norm2)
        return -decay / (1 + decay) * p - tau * d

    return update


def sophia_probe(seed: int):
    """The Rademacher probe u of update t (1, 2, …) of a run with ``seed``: the engine's
    key for the optimizer's own randomness (fold_in(fold_in(PRNGKey(seed), 2), t − 1)),
    split as optax's Hutchinson estimator splits it. JAX draws the random numbers only."""
    import jax.numpy as jnp

    def probe(t):
        key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), 2), t - 1)
        _, sub = jax.random.split(key)
        (leaf,) = jax.random.split(sub, 1)
        return np.asarray(jax.random.rademacher(leaf, (2,), dtype=jnp.float32), np.float64)

    return probe


def ref_sophia(learning_rate, b1, b2, eps, weight_decay, gamma, clip_threshold,
               update_interval, *, hess, probe):
    """Liu et al. (2024), Sophia-H (Algorithm 3) in optax.contrib.sophia's form.

    m_t = β₁m_{t−1} + (1−β₁)g, m̂ = m/(1−β₁ᵗ); the step uses the Hessian estimate h of
    the updates before: Δp = −η(clip(m̂/max(γh, ε), ±ρ) + λp); then, at updates 1, k+1,
    2k+1, …, h ← β₂h + (1−β₂) u ⊙ (∇²f(p) u) with the Rademacher probe u = probe(t).
    """
    m = np.zeros(2)
    h = np.zeros(2)

    def update(t, g, p):
        nonlocal m, h
        m = b1 * m + (1 - b1) * g
        ratio = (m / (1 - b1**t)) / np.maximum(gamma * h, eps)
        step = np.clip(ratio, -clip_threshold, clip_threshold)
        if (t - 1) % update_interval == 0:
            u = probe(t)
            h = b2 * h + (1 - b2) * u * (hess(p) @ u)
        return -learning_rate * (step + weight_decay * p)

    return update


def ref_qhm(learning_rate, nu, beta):
    """Ma & Yarats (2019), eq. 3: m_t = βm_{t−1} + (1−β)g, Δp = −η((1−ν)g + νm_t)."""
    m = np.zeros(2)

    def update(t, g, p):
        nonlocal m
        m = beta * m + (1 - beta) * g
        return -learning_rate * ((1 - nu) * g + nu * m)

    return update


def ref_qhadam(learning_rate, b1, b2, nu1, nu2, eps):
    """Ma & Yarats (2019), Algorithm 2 (QHAdam): Adam's bias-corrected moments, and
    Δp = −η((1−ν₁)g + ν₁m̂)/(√((1−ν₂)g² + ν₂v̂) + ε)."""
    moments = _adam_moments(b1, b2)

    def update(t, g, p):
        m, v = moments(g)
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        mixed = (1 - nu1) * g + nu1 * m_hat
        return -learning_rate * mixed / (np.sqrt((1 - nu2) * g**2 + nu2 * v_hat) + eps)

    return update


REFERENCES = {
    "sgd": ref_sgd, "momentum": ref_momentum, "nesterov": ref_nesterov,
    "adagrad": ref_adagrad, "rmsprop": ref_rmsprop, "adadelta": ref_adadelta,
    "adam": ref_adam, "adamw": ref_adamw, "nadam": ref_nadam, "amsgrad": ref_amsgrad,
    "adamax": ref_adamax, "adabelief": ref_adabelief, "lion": ref_lion,
    "radam": ref_radam, "yogi": ref_yogi, "newton": ref_newton,
    **RECENT_REFERENCES,
    "schedule_free_sgd": ref_schedule_free_sgd,
    "schedule_free_adamw": ref_schedule_free_adamw, "lookahead": ref_lookahead,
    "sam": ref_sam, "polyak_sgd": ref_polyak_sgd, "momo": ref_momo, "sophia": ref_sophia,
    "qhm": ref_qhm, "qhadam": ref_qhadam,
}

#: For every optimizer: the catalogue defaults, and a non-default setting that moves every
#: hyperparameter (chosen to keep all three landscapes in a smooth, non-chaotic regime).
NON_DEFAULT: dict[str, dict[str, float]] = {
    "sgd": {"learning_rate": 0.01},
    "momentum": {"learning_rate": 0.005, "momentum": 0.5},
    "nesterov": {"learning_rate": 0.005, "momentum": 0.7},
    "adagrad": {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "eps": 0.5},
    "rmsprop": {"learning_rate": 0.03, "decay": 0.5, "eps": 0.1},
    "adadelta": {"learning_rate": 0.5, "rho": 0.5, "eps": 1e-3},
    "adam": {"learning_rate": 0.05, "b1": 0.5, "b2": 0.9, "eps": 1e-3},
    "adamw": {"learning_rate": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
    "nadam": {"learning_rate": 0.02, "b1": 0.8, "b2": 0.99, "eps": 1e-4},
    "amsgrad": {"learning_rate": 0.05, "b1": 0.7, "b2": 0.9, "eps": 1e-6},
    "adamax": {"learning_rate": 0.05, "b1": 0.5, "b2": 0.9, "eps": 0.1},
    "adabelief": {"learning_rate": 0.02, "b1": 0.8, "b2": 0.99, "eps": 1e-2},
    "lion": {"learning_rate": 0.1, "b1": 0.5, "b2": 0.9, "weight_decay": 0.1},
    "radam": {"learning_rate": 0.01, "b1": 0.8, "b2": 0.99, "eps": 1e-6, "threshold": 6.0},
    "yogi": {"learning_rate": 0.05, "b1": 0.5, "b2": 0.9, "eps": 1e-2},
    "newton": {"learning_rate": 0.5, "damping": 2.0},
    "prodigy": {"learning_rate": 0.5, "b1": 0.8, "b2": 0.99, "eps": 1e-6, "estim_lr0": 1e-4,
                "estim_lr_coef": 2.0, "weight_decay": 0.01},
    "dadapt_adamw": {"learning_rate": 0.5, "b1": 0.8, "b2": 0.99, "eps": 1e-6,
                     "estim_lr0": 1e-4, "weight_decay": 0.01},
    "dog": {"learning_rate": 0.5, "init_step_value": 1e-3, "eps": 1e-6, "weight_decay": 0.01},
    "dowg": {"learning_rate": 0.5, "eps": 1e-3, "weight_decay": 0.01},
    "cocob": {"learning_rate": 0.5, "alpha": 20.0, "eps": 1e-4, "weight_decay": 0.01},
    "adopt": {"learning_rate": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-4},
    "ademamix": {"learning_rate": 0.02, "b1": 0.8, "b2": 0.99, "b3": 0.99, "alpha": 2.0,
                 "eps": 1e-6, "weight_decay": 0.01},
    "lamb": {"learning_rate": 0.02, "b1": 0.8, "b2": 0.99, "eps": 1e-4, "weight_decay": 0.01},
    "lars": {"learning_rate": 0.2, "weight_decay": 0.01, "trust_coefficient": 0.01,
             "eps": 0.1, "momentum": 0.5},
    "novograd": {"learning_rate": 0.02, "b1": 0.5, "b2": 0.5, "eps": 1e-3,
                 "weight_decay": 0.01},
    "sm3": {"learning_rate": 0.2, "momentum": 0.5},
    "adafactor": {"learning_rate": 0.02, "decay_rate": 0.5, "clipping_threshold": 0.5,
                  "eps": 1e-20},
    "adan": {"learning_rate": 0.05, "b1": 0.9, "b2": 0.8, "b3": 0.95, "eps": 1e-6,
             "weight_decay": 0.01},
    "madgrad": {"learning_rate": 0.02, "momentum": 0.5, "weight_decay": 0.01, "eps": 1e-4},
    "fromage": {"learning_rate": 0.012, "min_norm": 1e-3},
    "sign_sgd": {"learning_rate": 0.0173},
    "signum": {"learning_rate": 0.0173, "beta": 0.5},
    "rprop": {"learning_rate": 0.05, "eta_minus": 0.3, "eta_plus": 1.5, "min_step_size": 1e-4,
              "max_step_size": 1.0},
    "schedule_free_sgd": {"learning_rate": 0.05, "b1": 0.7, "weight_lr_power": 1.0},
    "schedule_free_adamw": {"learning_rate": 0.05, "b1": 0.8, "b2": 0.99, "eps": 1e-4,
                            "weight_decay": 0.05, "weight_lr_power": 3.0},
    "lookahead": {"learning_rate": 0.05, "slow_step_size": 0.3},
    "sam": {"learning_rate": 0.01, "rho": 0.1},
    "polyak_sgd": {"learning_rate": 0.7, "max_learning_rate": 0.05, "eps": 0.01},
    "momo": {"learning_rate": 0.1, "beta": 0.5, "weight_decay": 0.01},
    "sophia": {"learning_rate": 0.02, "b1": 0.9, "b2": 0.9, "eps": 1e-6,
               "weight_decay": 1e-3, "gamma": 0.05, "clip_threshold": 2.0,
               "update_interval": 3},
    "qhm": {"learning_rate": 0.02, "nu": 0.5, "beta": 0.9},
    "qhadam": {"learning_rate": 0.05, "b1": 0.9, "b2": 0.99, "nu1": 0.8, "nu2": 0.6,
               "eps": 1e-6},
}

#: Landscapes per optimizer: all share one compiled program per optimizer (see TRIO).
SURFACE_NAMES = ("quadratic", "steep_quadratic", "booth", "himmelblau")

#: The optimizers of 2017–2025 are matched over a longer horizon (LONG_STEPS, one step
#: bucket: 128) on two surfaces each, chosen so that nothing amplifies float32's rounding
#: over 100 steps and the tolerance stays assert_paths_close's (rtol 1e-4):
#: - mostly the convex quadratic and Booth (Himmelblau's saddles and the steep
#:   quadratic's ravine amplify rounding), with custom settings that do not reach the
#:   minimum, where a step of fixed length (sign methods, trust ratios ‖p‖/‖g‖) would
#:   bounce chaotically;
#: - Prodigy, DoG and DoWG measure ‖p_t − p₀‖ while their first steps are ~d₀ = 1e-6:
#:   from a start of size ~1 float32 keeps that difference to ~10% only, and the distance
#:   estimate grows from it. From the origin the difference is p_t itself, exact to
#:   float32's relative precision, so they start there (Booth, Himmelblau: both have a
#:   gradient at the origin, unlike the quadratic).
#: Sign-based steps use a learning rate whose lattice of points never puts a gradient
#: coordinate within rounding of zero (a round 0.02 did on Booth).
LONG_STEPS = 100
RECENT_SURFACES = {
    **{slug: ("quadratic", "booth") for slug in RECENT_REFERENCES},
    **{slug: ("booth_origin", "himmelblau_origin") for slug in ("prodigy", "dog")},
    "dowg": ("quadratic", "booth_origin"),  # it overshoots Himmelblau's nearest minimum
    # steps of a fixed fraction of ‖p‖ bounce around Booth's minimum (1, 3); at the
    # quadratics' minimum, the origin, they vanish
    **{slug: ("quadratic", "steep_quadratic") for slug in ("fromage", "adafactor")},
}


def reference_path(update, grad: Grad, start, steps: int, *, noise=None,
                   clip_norm: float = math.inf) -> np.ndarray:
    """Iterate ``update`` from ``start`` (float32-rounded, as the engine sees it).

    ``noise`` (steps, 2) is added to the gradient before the global-norm clip, as in the
    engine (optax.clip_by_global_norm: g·c/‖g‖ when ‖g‖ ≥ c).
    """
    p = f32(start)
    shown = getattr(update, "shown", lambda q: q)  # the drawn point, where it differs
    path = [shown(p)]
    for t in range(1, steps + 1):
        g = grad(p)
        if noise is not None:
            g = g + noise[t - 1]
        norm = float(np.linalg.norm(g))
        if norm >= clip_norm:
            g = g / norm * clip_norm
        p = p + update(t, g, p)
        path.append(shown(p))
    return np.array(path)


def make_reference(slug: str, hparams: dict[str, float], surface: Surface):
    spec = optimizers.OPTIMIZERS[slug]
    hp = {k: float(f32(v)) for k, v in {**spec.defaults(), **hparams}.items()}
    # what a reference needs of the surface besides the gradient, by its keyword name
    given = {"hess": surface.hess, "grad": surface.grad, "value": surface.value,
             "probe": sophia_probe(0)}
    wanted = inspect.signature(REFERENCES[slug]).parameters
    return REFERENCES[slug](**hp, **{k: v for k, v in given.items() if k in wanted})


def assert_paths_close(actual, expected, surface: Surface, rtol=1e-4):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-5 * surface.size)


# ---------------------------------------------------------------------------------------
# Update rules
# ---------------------------------------------------------------------------------------

#: The default race's optimizers are checked in the fast layer, through a small ensemble
#: of their own; every optimizer's cases, through one ensemble of all of them, are the
#: slow layer's (as are the tests below that are about one optimizer only).
FAST_RULES = ("sgd", "momentum", "adam")
SETTINGS = ("default", "custom")

#: The optimizers that need more of the engine than a gradient (a drawn point, the loss,
#: a key, a second gradient) and the quasi-hyperbolic pair run ``LONG_STEPS`` on two
#: surfaces each, chosen where the float32 engine and the float64 reference stay within
#: the tolerance over that horizon (measured: at most 2.5e-6 · size apart, against
#: 1e-5 · size). Left out, measured: SAM near a minimum at ρ = 0.2 (ε = ρ g/‖g‖ turns
#: with the direction of a tiny g, so rounding decides the path: 6e-2 apart on Booth),
#: MoMo on Himmelblau at the custom setting (6e-4 apart: its Polyak-type step divides by
#: a vanishing ‖d‖² near the minimum), and schedule-free SGD at optax's default η = 1
#: anywhere but on the two quadratics with curvature ≤ 5 (it diverges).
LONG_RULES = {
    "schedule_free_sgd": ("quadratic", "gentle_quadratic"),
    "schedule_free_adamw": ("quadratic", "himmelblau"),
    "lookahead": ("booth", "himmelblau"),
    "sam": ("quadratic", "himmelblau"),
    "polyak_sgd": ("booth", "himmelblau"),
    "momo": ("quadratic", "booth"),
    "sophia": ("booth", "himmelblau"),
    "qhm": ("booth", "himmelblau"),
    "qhadam": ("booth", "himmelblau"),
}
#: Every optimizer checked over the long horizon, and its surfaces.
LONG_SURFACES = {**RECENT_SURFACES, **LONG_RULES}
RULE_CASES = [
    pytest.param(slug, setting, surface, id=f"{slug}-{setting}-{surface}",
                 marks=() if slug in FAST_RULES else pytest.mark.slow)
    for slug in REFERENCES
    for surface in LONG_SURFACES.get(slug, SURFACE_NAMES)
    for setting in SETTINGS
]


def case_hparams(slug: str, setting: str) -> dict[str, float]:
    return {} if setting == "default" else NON_DEFAULT[slug]


def rule_group(slug: str) -> tuple[str, ...]:
    """The optimizers whose cases run in one program with ``slug``'s: the fast layer's,
    or a group (``optimizers.ensemble.groups``) of the others checked over as many
    steps."""
    if slug in FAST_RULES:
        return FAST_RULES
    long = slug in LONG_SURFACES
    alike = [s for s in REFERENCES if s not in FAST_RULES and (s in LONG_SURFACES) == long]
    return next(group for group in groups(alike) if slug in group)


@functools.cache
def rule_runs(slugs: tuple[str, ...], surface_name: str,
              steps: int) -> dict[tuple[str, str], Trajectory]:
    """Every optimizer of ``slugs`` at both settings on one surface: one batch of one
    ensemble's program (the same program serves every surface of TRIO)."""
    spec = ensemble(slugs)
    cases = [(slug, setting) for slug in slugs for setting in SETTINGS]
    columns = {name: np.full(len(cases), hp.default, np.float64)
               for name, hp in spec.hparams.items()}
    for row, (slug, setting) in enumerate(cases):
        member = slugs.index(slug)
        columns[WHICH][row] = member
        for name, value in {**OPTIMIZERS[slug].defaults(),
                            **case_hparams(slug, setting)}.items():
            key = name if name == "learning_rate" else member_key(member, name)
            columns[key][row] = value
    surface = SURFACES[surface_name]
    batch = optimizers.simulate(surface.landscape, spec, columns, surface.start, steps)
    return dict(zip(cases, single_runs(batch), strict=True))


def test_every_optimizer_has_a_reference():
    assert set(REFERENCES) | {"lbfgs"} == set(optimizers.OPTIMIZERS)
    assert set(NON_DEFAULT) == set(REFERENCES)
    for slug, hp in NON_DEFAULT.items():
        spec = optimizers.OPTIMIZERS[slug]
        assert set(hp) == set(spec.hparams), slug  # the custom setting moves every knob
        for name, value in hp.items():
            assert spec.hparams[name].admits(value), (slug, name)
            assert value != spec.hparams[name].default, (slug, name)


@pytest.mark.parametrize(("slug", "setting", "surface_name"), RULE_CASES)
def test_update_rule_matches_reference(slug, setting, surface_name):
    surface = SURFACES[surface_name]
    hparams = case_hparams(slug, setting)
    steps = LONG_STEPS if slug in LONG_SURFACES else STEPS
    traj = rule_runs(rule_group(slug), surface_name, steps)[slug, setting]
    expected = reference_path(make_reference(slug, hparams, surface), surface.grad,
                              surface.start, steps)

    assert traj.diverged_at is None
    assert traj.path.shape == (steps + 1, 2)
    assert_paths_close(traj.path, expected, surface)
    # The run must actually move, or the comparison would be vacuous.
    assert np.linalg.norm(expected[-1] - expected[0]) > 1e-3 * surface.size
    # Bookkeeping: the loss and gradient norm are those of the recorded points, and the
    # recorded learning rate is the (constant) η of every update.
    values = np.array([surface.value(p) for p in traj.path.astype(np.float64)])
    np.testing.assert_allclose(traj.loss, values, rtol=1e-4, atol=1e-4)
    gnorms = np.linalg.norm([surface.grad(p) for p in traj.path.astype(np.float64)], axis=1)
    np.testing.assert_allclose(traj.grad_norm, gnorms, rtol=1e-4, atol=1e-3)
    lr = {**optimizers.OPTIMIZERS[slug].defaults(), **hparams}["learning_rate"]
    np.testing.assert_array_equal(traj.learning_rate, np.full(steps, np.float32(lr)))


def _iterates(slug: str, surface: Surface, steps: int) -> np.ndarray:
    """The reference's iterates (what the optimizer's parameters are), not its drawn
    points."""
    update = make_reference(slug, {}, surface)
    del update.shown
    return reference_path(update, surface.grad, surface.start, steps)


@pytest.mark.slow  # shares the rule tests' programs
@pytest.mark.parametrize(("slug", "surface_name"), [("schedule_free_sgd", "quadratic"),
                                                    ("lookahead", "booth")])
def test_the_drawn_point_is_not_the_iterate(slug, surface_name):
    """The rule tests compare the drawn points (schedule-free's x, Lookahead's slow
    weights); the parameters the optimizer iterates are another path (y, the fast
    weights), so those comparisons could not pass by drawing the parameters."""
    surface = SURFACES[surface_name]
    traj = optimizers.simulate(surface.landscape, slug, {}, surface.start, LONG_STEPS)
    iterates = _iterates(slug, surface, LONG_STEPS)
    assert np.abs(traj.path - iterates).max() > 100 * 1e-5 * surface.size


@pytest.mark.slow  # one more program per optimizer: the surface's f* is a column of its own
@pytest.mark.parametrize("slug", ["polyak_sgd", "momo"])
def test_the_surfaces_minimum_value_is_f_star(slug):
    """Polyak and MoMo get the surface's minimum value as f*; a surface that does not
    know it leaves optax's default 0 (the rule tests' TRIO knows none).

    The surface claims f* = 0.5 above its true minimum 0: the step vanishes on the level
    set f = 0.5, where the path settles instead of at the minimum (f* below the minimum
    would keep the step at γ_max there, a bouncing path that rounding decides).
    """
    s = BOOTH
    f_star = 0.5
    knowing = dataclasses.replace(s.landscape, min_value=f_star)
    custom = NON_DEFAULT[slug]
    traj = optimizers.simulate(knowing, slug, custom, s.start, LONG_STEPS)
    spec = optimizers.OPTIMIZERS[slug]
    hp = {k: float(f32(v)) for k, v in {**spec.defaults(), **custom}.items()}
    expected = reference_path(REFERENCES[slug](**hp, value=s.value, f_min=f_star), s.grad,
                              s.start, LONG_STEPS)
    assert_paths_close(traj.path, expected, s)
    assert abs(traj.loss[-1] - f_star) < 1e-3  # settled on the level set f = f*
    unknowing = optimizers.simulate(s.landscape, slug, custom, s.start, LONG_STEPS)
    assert unknowing.loss[-1] < 1e-2 and np.abs(unknowing.path - traj.path).max() > 0.1


@pytest.mark.slow  # shares the rule tests' Sophia program (the seed is traced)
def test_sophias_probes_follow_the_seed():
    s = BOOTH
    spec = optimizers.OPTIMIZERS["sophia"]
    hp = {k: float(f32(v)) for k, v in {**spec.defaults(), **NON_DEFAULT["sophia"]}.items()}
    runs = {seed: optimizers.simulate(s.landscape, "sophia", NON_DEFAULT["sophia"], s.start,
                                      LONG_STEPS, seed=seed) for seed in (0, 7)}
    expected = reference_path(ref_sophia(**hp, hess=s.hess, probe=sophia_probe(7)), s.grad,
                              s.start, LONG_STEPS)
    assert_paths_close(runs[7].path, expected, s)
    # other probes, another path: well beyond the comparison's tolerance (1e-5 · size)
    assert np.abs(runs[7].path - runs[0].path).max() > 30 * 1e-5 * s.size


def test_the_update_arguments_are_built_from_the_needs_words_alone():
    """Every needs word has one builder, and a spec computes only its own: none for SGD
    (no Hessian, no drawn point), the Hessian for Newton."""
    from optimizers.catalog import NEEDS

    assert set(engine.UPDATE_ARGUMENTS) == set(NEEDS)
    for spec in optimizers.OPTIMIZERS.values():
        assert spec.needs <= set(NEEDS)
    sgd = optimizers.OPTIMIZERS["sgd"]
    nothing = engine.Oracle(None, None, None)
    assert engine.update_arguments(sgd, None, None, nothing) == {}
    assert engine.drawn_view(sgd, None, None, None) is None
    point = np.array([1.0, 2.0])
    assert sgd.point_drawn(point, None) is point
    look = optimizers.OPTIMIZERS["lookahead"]
    # Lookahead's is the slow weights of its state, not the parameters it is given
    np.testing.assert_array_equal(look.point_drawn(point, look.factory(0.1).init(-point)),
                                  -point)
    asked = []

    def loss(p):
        asked.append("f")
        return (p**2).sum()

    carry = engine.Carry(np.ones(2, np.float32), None, 1.0, None, False)
    newton = engine.update_arguments(optimizers.OPTIMIZERS["newton"], carry, None,
                                     engine.Oracle(loss, None, None))
    assert set(newton) == {"hessian"} == engine.argument_names(optimizers.OPTIMIZERS["newton"])
    assert asked
    np.testing.assert_allclose(newton["hessian"], 2 * np.eye(2))
    with pytest.raises(ValueError, match="unknown needs"):
        dataclasses.replace(sgd, needs=frozenset({"telepathy"}))


# Noisy SGD programs are shared by several tests below (the engine compiles noiseless and
# noisy runs separately); these keyword arguments select them.
NOISY_SGD = {"learning_rate": 0.01}
NOISE = {"noise": 0.5, "seed": 7}


@pytest.mark.slow  # the registered landscapes' noisy programs
@pytest.mark.parametrize("surface_name", ["quadratic", "himmelblau"])
def test_trio_reproduces_the_registered_landscapes(surface_name):
    """The rule tests run on TRIO; the registry's landscapes give the same paths."""
    surface = SURFACES[surface_name]
    ours = optimizers.simulate(surface.landscape, "sgd", NOISY_SGD, surface.start, STEPS,
                               **NOISE)
    theirs = optimizers.simulate(surface.registered, "sgd", NOISY_SGD, surface.start, STEPS,
                                 **NOISE)
    np.testing.assert_allclose(ours.path, theirs.path, rtol=1e-6, atol=1e-6 * surface.size)
    for name in ("loss", "grad_norm"):  # float32 cancellation near the minima: scale atol
        mine, reg = getattr(ours, name), getattr(theirs, name)
        np.testing.assert_allclose(mine, reg, rtol=1e-6, atol=1e-6 * np.abs(reg).max())


@pytest.mark.slow
@pytest.mark.parametrize("threshold", [4.0, 5.0, 100.0])
def test_radam_threshold_range_never_yields_nan(threshold):
    """Every admissible threshold gives a well-defined run on a benign quadratic.

    For τ < 4 a step with τ ≤ ρ_t < 4 and ρ_t > 2 makes r_t = √((ρ_t−4)(ρ_t−2)…) the root
    of a negative number (optax returns NaN: a numerical artifact, not the optimizer's
    behaviour). The paper's test is ρ_t > 4, so the catalogue's range starts at 4.
    """
    spec = optimizers.OPTIMIZERS["radam"]
    assert spec.hparams["threshold"].admits(threshold)
    traj = optimizers.simulate(QUADRATIC.landscape, "radam", {"threshold": threshold},
                               QUADRATIC.start, STEPS)
    assert traj.diverged_at is None, f"RAdam(threshold={threshold}) produced NaN"


@pytest.mark.slow
@pytest.mark.parametrize("threshold", [0.0, 3.0])
def test_radam_thresholds_that_would_yield_nan_are_refused(threshold):
    assert not optimizers.OPTIMIZERS["radam"].hparams["threshold"].admits(threshold)
    traj = optimizers.simulate(QUADRATIC.landscape, "radam", {"threshold": threshold},
                               QUADRATIC.start, STEPS)
    assert traj.diverged_at is not None  # what the range protects a student from


@pytest.mark.slow
def test_yogi_moves_off_a_stationary_point_but_adam_does_not():
    """optax's Yogi starts m and v at 1e-6, not 0: from the minimum itself (g ≡ 0 there)
    it drifts by m̂/(√v̂ + ε) until the gradient pushes back; Adam (m_0 = 0) stays put.
    Elsewhere the 1e-6 is far below the tolerance, so this is the test of that detail."""
    s = QUADRATIC
    yogi = optimizers.simulate(s.landscape, "yogi", {}, (0.0, 0.0), STEPS)
    expected = reference_path(make_reference("yogi", {}, s), s.grad, (0.0, 0.0), STEPS)
    assert np.abs(expected[1]).min() > 1e-6
    np.testing.assert_allclose(yogi.path, expected, rtol=1e-3, atol=1e-9)
    adam = optimizers.simulate(s.landscape, "adam", {}, (0.0, 0.0), STEPS)
    np.testing.assert_array_equal(adam.path, 0.0)


@pytest.mark.slow
def test_newton_solves_a_quadratic_in_one_step():
    traj = optimizers.simulate(QUADRATIC.landscape, "newton", {}, QUADRATIC.start, 3)
    np.testing.assert_allclose(traj.path[1:], 0.0, atol=1e-6)


# L-BFGS runs optax's zoom line search, too much to re-implement; check its behaviour.


@pytest.mark.slow
@pytest.mark.parametrize("surface_name", ["quadratic", "steep_quadratic"])
def test_lbfgs_converges_fast_on_convex_quadratics(surface_name):
    surface = SURFACES[surface_name]
    traj = optimizers.simulate(surface.landscape, "lbfgs", {}, surface.start, 12)
    g0 = surface.grad(f32(surface.start))
    step = traj.path[1].astype(np.float64) - f32(surface.start)
    # No curvature pairs yet: the first direction is steepest descent.
    cos = -(step @ g0) / (np.linalg.norm(step) * np.linalg.norm(g0))
    assert cos == pytest.approx(1.0, abs=1e-6)
    # The line search only accepts decreases (Armijo), so the loss never goes up.
    assert np.all(np.diff(traj.loss) <= 1e-6 * traj.loss[0])
    # Quasi-Newton: the minimum to float32 precision within 6 steps (optax's inexact
    # zoom line search, not an exact one, so not the 2 steps of exact-line-search BFGS).
    minimum = np.array(surface.registered.minima[0])
    assert traj.loss[6] < 1e-8 * traj.loss[0]
    np.testing.assert_allclose(traj.path[6:], np.broadcast_to(minimum, traj.path[6:].shape),
                               atol=1e-3)
    # For comparison, gradient descent at its best fixed step 2/(λmin+λmax) is far away.
    h = surface.hess(None)
    lam = np.linalg.eigvalsh(h)
    gd = reference_path(ref_sgd(2.0 / lam.sum()), surface.grad, surface.start, 6)
    assert surface.value(gd[6]) > 1e3 * float(traj.loss[6])


# ---------------------------------------------------------------------------------------
# Clipping, noise, schedules
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "hparams", "clip"), [
    ("sgd", {"learning_rate": 0.1}, 0.5),
    ("momentum", {"learning_rate": 0.05, "momentum": 0.5}, 1.0),
    ("adam", {}, 0.3),  # Adam is almost invariant to a uniform rescaling, not to clipping
])
def test_clip_by_global_norm(slug, hparams, clip):
    surface = QUADRATIC
    traj = optimizers.simulate(surface.landscape, slug, hparams, surface.start, STEPS,
                               clip_norm=clip)
    expected = reference_path(make_reference(slug, hparams, surface), surface.grad,
                              surface.start, STEPS, clip_norm=clip)
    assert_paths_close(traj.path, expected, surface)
    free = optimizers.simulate(surface.landscape, slug, hparams, surface.start, STEPS)
    assert np.abs(free.path - traj.path).max() > 1e-2  # the clip was active


def _recover_noise(traj, surface: Surface, lr: float, sigma: float) -> np.ndarray:
    """ξ_t from an SGD path: p_{t+1} − p_t = −η(∇f(p_t) + σ ξ_t)."""
    path = traj.path.astype(np.float64)
    grads = np.array([surface.grad(p) for p in path[:-1]])
    return -(np.diff(path, axis=0) / lr + grads) / sigma


def test_noise_is_reproducible_per_seed():
    s = HIMMELBLAU
    run = lambda **kw: optimizers.simulate(s.landscape, "sgd", NOISY_SGD, s.start, STEPS, **kw)  # noqa: E731
    a = run(**NOISE)
    b = run(**NOISE)
    c = run(noise=NOISE["noise"], seed=NOISE["seed"] + 1)
    clean = run()
    np.testing.assert_array_equal(a.path, b.path)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert np.abs(a.path - c.path).max() > 1e-3
    assert np.abs(a.path - clean.path).max() > 1e-3
    # σ scales one standard normal draw per update: the recovered ξ_t are the same for
    # σ and 2σ (p_{t+1} = p_t − η(∇f(p_t) + σ ξ_t)).
    lr = NOISY_SGD["learning_rate"]
    xi_1 = _recover_noise(a, s, lr, NOISE["noise"])
    xi_2 = _recover_noise(run(noise=2 * NOISE["noise"], seed=NOISE["seed"]), s, lr,
                          2 * NOISE["noise"])
    np.testing.assert_allclose(xi_1, xi_2, atol=1e-3)
    # σ = 0 is the noiseless run, whatever the seed: alone (the engine then compiles a
    # program without the draw) and as a row of a noisy batch (σ ξ_t with σ = 0).
    np.testing.assert_array_equal(run(noise=0.0, seed=123).path, clean.path)
    q = QUADRATIC
    mixed = optimizers.simulate(q.landscape, "sgd", {"learning_rate": 0.05}, q.start, STEPS,
                                noise=np.array([0.0, 0.5, 0.5, 0.5]),
                                seed=np.array([3, 3, 4, 3]))
    quiet = optimizers.simulate(q.landscape, "sgd", {"learning_rate": 0.05}, q.start, STEPS)
    np.testing.assert_allclose(mixed.path[0], quiet.path, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(mixed.path[1], mixed.path[3])
    assert np.abs(mixed.path[1] - mixed.path[2]).max() > 1e-3
    assert np.abs(mixed.path[1] - quiet.path).max() > 1e-3


def test_noise_is_standard_gaussian_and_clipped_after_it_is_added():
    s, lr, sigma = QUADRATIC, 0.01, 0.5
    seeds = np.array([0, 1, 2, 3])
    batch = optimizers.simulate(s.landscape, "sgd", {"learning_rate": lr}, s.start, 64,
                                noise=sigma, seed=seeds)
    xi = np.stack([_recover_noise(row, s, lr, sigma) for row in single_runs(batch)])
    assert xi.shape == (4, 64, 2)
    flat = xi.reshape(-1)
    assert abs(flat.mean()) < 0.15
    assert 0.85 < flat.std() < 1.15
    # Independent across seeds and coordinates.
    assert abs(np.corrcoef(xi[0].ravel(), xi[1].ravel())[0, 1]) < 0.3
    assert abs(np.corrcoef(xi[..., 0].ravel(), xi[..., 1].ravel())[0, 1]) < 0.2

    # clip_norm acts on the noisy gradient: replay the recovered noise through a
    # reference SGD that clips ∇f + σξ.
    clip = 0.8
    clipped = optimizers.simulate(s.landscape, "sgd", {"learning_rate": lr}, s.start, 64,
                                  noise=sigma, seed=seeds, clip_norm=clip)
    for i in range(len(seeds)):
        expected = reference_path(ref_sgd(float(f32(lr))), s.grad, s.start, 64,
                                  noise=sigma * xi[i], clip_norm=clip)
        assert_paths_close(clipped.path[i], expected, s)


# Schedules: η_t written out in NumPy from optax's definitions, t = 0 for the first update
# (optax's schedule count starts at 0), T = the run's number of steps.


def schedule_ref(kind: str, lr: float, t: np.ndarray, horizon: int, p: dict) -> np.ndarray:
    t = t.astype(np.float64)
    if kind == "constant":
        return np.full_like(t, lr)
    if kind == "step":  # optax.exponential_decay(lr, k, γ, staircase=True)
        return lr * p["decay_rate"] ** np.floor(t / p["transition_steps"])
    if kind == "exponential":  # optax.exponential_decay(lr, k, γ)
        return lr * p["decay_rate"] ** (t / p["transition_steps"])

    def cosine(s, span):  # optax.cosine_decay_schedule(lr, span, α)
        s = np.minimum(s, span)
        return lr * ((1 - p["alpha"]) * 0.5 * (1 + np.cos(np.pi * s / span)) + p["alpha"])

    if kind == "cosine":
        return cosine(t, horizon)
    if kind == "warmup_cosine":  # optax.warmup_cosine_decay_schedule(0, lr, W, T, α lr)
        w = p["warmup_steps"]
        return np.where(t < w, lr * t / max(w, 1), cosine(t - w, horizon - w))
    raise AssertionError(kind)


SCHEDULE_CASES = [
    ("constant", {}),
    ("step", {"decay_rate": 0.5, "transition_steps": 7}),
    ("step", {"decay_rate": 0.9, "transition_steps": 1}),
    ("exponential", {"decay_rate": 0.3, "transition_steps": 10}),
    ("cosine", {"alpha": 0.0}),
    ("cosine", {"alpha": 0.25}),
    ("warmup_cosine", {"warmup_steps": 8, "alpha": 0.1}),
    ("warmup_cosine", {"warmup_steps": 0, "alpha": 0.0}),
]


def test_schedule_cases_cover_every_kind():
    assert {kind for kind, _ in SCHEDULE_CASES} == set(optimizers.SCHEDULES)


@pytest.mark.parametrize(("kind", "params"), [
    # one program per schedule kind: the constant one is the rule tests' own
    pytest.param(kind, params, marks=() if kind == "constant" else pytest.mark.slow)
    for kind, params in SCHEDULE_CASES])
def test_schedule_drives_the_learning_rate(kind, params):
    s, lr, steps = QUADRATIC, 0.2, 40
    traj = optimizers.simulate(s.landscape, "sgd", {"learning_rate": lr}, s.start, steps,
                               schedule=kind, schedule_params=params)
    full = {**{k: hp.default for k, hp in optimizers.SCHEDULE_PARAMS.items()}, **params}
    etas = schedule_ref(kind, float(f32(lr)), np.arange(steps), steps, full)
    np.testing.assert_allclose(traj.learning_rate, etas, rtol=1e-5, atol=1e-7)

    def update(t, g, p):
        return -etas[t - 1] * g

    expected = reference_path(update, s.grad, s.start, steps)
    assert_paths_close(traj.path, expected, s)


# ---------------------------------------------------------------------------------------
# Divergence and batching
# ---------------------------------------------------------------------------------------

ROSENBROCK = LANDSCAPES["rosenbrock"]


def test_divergence_is_recorded_and_frozen():
    traj = optimizers.simulate(ROSENBROCK, "sgd", {"learning_rate": 0.1}, None, STEPS)
    d = traj.diverged_at
    assert type(d) is int
    # p_1 = (-1.5, 2.5) - 0.1·(145, 50) = (-16, -2.5) is still inside the escape box;
    # p_2 ≈ (1.65e5, ...) is not.
    assert d == 2
    expected = reference_path(ref_sgd(0.1), _rosenbrock_grad, ROSENBROCK.start, d - 1)
    np.testing.assert_allclose(traj.path[:d], expected, rtol=1e-5)
    for field in (traj.path, traj.loss, traj.grad_norm):
        assert np.all(np.isfinite(field))
        np.testing.assert_array_equal(field[d:], np.broadcast_to(field[d - 1], field[d:].shape))
    fine = optimizers.simulate(ROSENBROCK, "sgd", {"learning_rate": 1e-4}, None, STEPS)
    assert fine.diverged_at is None


def _assert_rows_match(batch, singles):
    assert batch.path.shape == (len(singles), STEPS + 1, 2)
    assert batch.diverged_at.shape == (len(singles),)
    for i, (row, single) in enumerate(zip(single_runs(batch), singles, strict=True)):
        for name in ("path", "loss", "grad_norm", "learning_rate"):
            np.testing.assert_allclose(getattr(row, name), getattr(single, name),
                                       rtol=1e-6, atol=1e-6, err_msg=f"row {i} {name}")
        assert row.diverged_at == single.diverged_at


# Batches of 3 and 4 share one compiled program (batch sizes are bucketed to powers of
# two), and the single runs share the noisy SGD program of the noise tests.
BATCH_LANDSCAPE = QUADRATIC.landscape


def _single(lr=0.05, start=QUADRATIC.start, seed=0, noise=0.5):
    return optimizers.simulate(BATCH_LANDSCAPE, "sgd", {"learning_rate": lr}, start, STEPS,
                               seed=seed, noise=noise)


def test_batched_learning_rates_equal_single_runs():
    # η = 0.5 > 2/κ = 0.4 diverges on the κ = 5 quadratic; the others do not.
    lrs = np.array([0.01, 0.1, 0.3, 0.5])
    batch = optimizers.simulate(BATCH_LANDSCAPE, "sgd", {"learning_rate": lrs},
                                QUADRATIC.start, STEPS, noise=0.5)
    singles = [_single(float(lr)) for lr in lrs]
    _assert_rows_match(batch, singles)
    assert np.issubdtype(batch.diverged_at.dtype, np.integer)
    assert list(batch.diverged_at[:3]) == [-1, -1, -1]
    assert 1 <= batch.diverged_at[3] <= STEPS
    assert np.all(np.isfinite(batch.path))


def test_batched_starts_and_seeds_equal_single_runs():
    starts = np.array([[-1.8, 1.2], [0.3, -1.9], [1.5, 1.5]])
    seeds = np.array([0, 5, 9])
    lrs = np.array([0.02, 0.05, 0.1])
    by_start = optimizers.simulate(BATCH_LANDSCAPE, "sgd", {"learning_rate": 0.05}, starts,
                                   STEPS, noise=0.5)
    _assert_rows_match(by_start, [_single(start=s) for s in starts])
    by_seed = optimizers.simulate(BATCH_LANDSCAPE, "sgd", {"learning_rate": 0.05},
                                  QUADRATIC.start, STEPS, seed=seeds, noise=0.5)
    _assert_rows_match(by_seed, [_single(seed=int(sd)) for sd in seeds])
    together = optimizers.simulate(BATCH_LANDSCAPE, "sgd", {"learning_rate": lrs}, starts,
                                   STEPS, seed=seeds, noise=0.5)
    _assert_rows_match(together, [
        _single(float(lr), s, int(sd)) for lr, s, sd in zip(lrs, starts, seeds, strict=True)])
    # A batch of one is still a batch: leading axis of length 1.
    one = optimizers.simulate(BATCH_LANDSCAPE, "sgd", {"learning_rate": np.array([0.05])},
                              QUADRATIC.start, STEPS, noise=0.5)
    _assert_rows_match(one, [_single()])


@pytest.mark.parametrize("kwargs", [
    {"hparams": {"learning_rate": np.array([1e-4, 2e-4, 3e-4])}, "start": np.zeros((2, 2))},
    {"hparams": {"learning_rate": np.array([1e-4, 2e-4])}, "seed": np.array([1, 2, 3])},
    {"hparams": {"momentum": np.array([0.1, 0.2]), "learning_rate": np.array([1e-3])}},
    {"start": np.zeros((3, 2)), "noise": np.array([0.1, 0.2])},
])
def test_mismatched_batch_lengths_raise(kwargs):
    slug = "momentum" if "momentum" in kwargs.get("hparams", {}) else "sgd"
    with pytest.raises(ValueError, match="differ in length"):
        optimizers.simulate(BATCH_LANDSCAPE, slug, kwargs.get("hparams"), kwargs.get("start"),
                            STEPS, **{k: v for k, v in kwargs.items()
                                      if k not in ("hparams", "start")})


# ---------------------------------------------------------------------------------------
# Compilation and determinism
# ---------------------------------------------------------------------------------------


class _CompileCounter:
    """Counts XLA backend compilations (jax.monitoring's compile-duration events)."""

    def __init__(self):
        self.count = 0

    def __call__(self, event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            self.count += 1

    def __enter__(self):
        jax.monitoring.register_event_duration_secs_listener(self)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self)


def test_no_recompilation_when_only_values_change():
    s = QUADRATIC
    # Warm the programs. Compiled in, one program per value used (engine._Static): noise
    # on/off, clipping on/off and the schedule's kind; everything else is traced.
    optimizers.simulate(s.landscape, "sgd", {}, s.start, STEPS)
    base = optimizers.simulate(s.landscape, "sgd", {"learning_rate": 0.01}, s.start, STEPS,
                               noise=0.2, seed=4)
    optimizers.simulate(s.landscape, "sgd", {}, s.start, STEPS, noise=0.1, clip_norm=1.0)
    optimizers.simulate(s.landscape, "sgd", {}, s.start, STEPS, schedule="warmup_cosine")
    optimizers.simulate(s.landscape, "sgd", {}, s.start, STEPS, schedule="step")
    cached = engine._compiled.cache_info()
    with _CompileCounter() as counter:
        optimizers.simulate(s.landscape, "sgd", {"learning_rate": 0.05}, s.start, STEPS)
        optimizers.simulate(s.landscape, "sgd", {"learning_rate": 0.02}, (1.0, -0.5), 50,
                            seed=11, noise=0.7, clip_norm=0.3)
        optimizers.simulate(s.landscape, "sgd", {"learning_rate": 0.03}, None, 9, seed=2**31,
                            noise=3.0)
        optimizers.simulate(s.landscape, "sgd", {}, None, 7, schedule="warmup_cosine",
                            schedule_params={"warmup_steps": 3, "alpha": 0.2})
        optimizers.simulate(s.landscape, "sgd", {}, None, 64, schedule="step",
                            schedule_params={"decay_rate": 0.3, "transition_steps": 5})
        # Landscape parameters are traced values too (TRIO even switches its function).
        optimizers.simulate(s.landscape.bind(kappa=50.0, theta=10.0), "sgd", {}, None, STEPS)
        optimizers.simulate(HIMMELBLAU.landscape, "sgd", {}, None, STEPS)
        assert counter.count == 0
        after = engine._compiled.cache_info()
        assert after.misses == cached.misses
        assert after.currsize == cached.currsize

        # A new step bucket (128) is a new program: exactly one more compiled function.
        longer = optimizers.simulate(s.landscape, "sgd", {"learning_rate": 0.01}, s.start,
                                     100, noise=0.2, seed=4)
        assert counter.count >= 1
        assert engine._compiled.cache_info().misses == cached.misses + 1
    # The noise ξ_t does not depend on the bucket: a longer run extends the same path.
    np.testing.assert_allclose(longer.path[: STEPS + 1], base.path, rtol=1e-6, atol=1e-6)


_SUBPROCESS = """
import sys
from landscapes import LANDSCAPES
import optimizers
traj = optimizers.simulate(LANDSCAPES["himmelblau"], "sgd", {"learning_rate": 0.01},
                           (0.5, -0.5), 30, noise=0.5, seed=7)
sys.stdout.write(traj.path.tobytes().hex() + " " + traj.loss.tobytes().hex())
"""


@pytest.mark.slow  # a fresh Python process imports JAX and compiles
def test_fresh_process_gives_bit_identical_paths():
    # The registered Himmelblau, as the subprocess sees it (the program is shared with
    # test_trio_reproduces_the_registered_landscapes).
    here = optimizers.simulate(HIMMELBLAU.registered, "sgd", NOISY_SGD, HIMMELBLAU.start,
                               STEPS, **NOISE)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", _SUBPROCESS], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    path_hex, loss_hex = out.stdout.split()
    assert path_hex == here.path.tobytes().hex()
    assert loss_hex == here.loss.tobytes().hex()


#: Compiles one run with the on-disk cache in argv[1]; prints how many programs it
#: loaded from there.
_CACHED_RUN = """
import sys
import jax.monitoring
loaded = []
jax.monitoring.register_event_listener(
    lambda event, **_: loaded.append(event == "/jax/compilation_cache/cache_hits"))
from optimizers.engine import use_compilation_cache
use_compilation_cache(sys.argv[1])
from landscapes import LANDSCAPES
from optimizers import simulate
simulate(LANDSCAPES["booth"], "sgd", None, None, 10)
print(sum(loaded))
"""


@pytest.mark.slow  # two fresh processes
def test_a_second_process_loads_the_programs_the_first_compiled(tmp_path):
    """The on-disk cache serves every process given its folder (a restarted server, the
    browser tests' servers), whatever else the folder holds: here an entry without the
    access-time record a size-limited JAX cache writes beside each (JAX's eviction then
    fails every write, which is why ``use_compilation_cache`` sets no limit)."""
    folder = tmp_path / "programs"
    folder.mkdir()
    (folder / "jit_from_an_older_version-cache").write_bytes(b"\0" * 64)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}

    def run() -> int:
        out = subprocess.run([sys.executable, "-W", "error", "-c", _CACHED_RUN, str(folder)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]
        return int(out.stdout.split()[-1])

    assert run() == 0  # nothing of this run in the folder: everything compiled
    assert run() >= 1  # the run's program loaded, not compiled
