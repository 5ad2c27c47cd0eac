"""Optimizers the catalogue builds around optax (0.2.8) in optax's own style.

Each factory here is named by its catalogue slug and uses only ``jax``, ``jnp``,
``optax`` and ``NamedTuple``, because its source is also what an exported optax script
defines (``recipe_script``): the script runs this very code. Three kinds:

- optax's own optimizers given the engine's interface: a ``learning_rate`` argument
  (``polyak_sgd``), extra arguments the engine can pass on every update (``sam``'s
  ``grad_fn``, ``sophia``'s ``key``), and a plain parameter vector (``lookahead``, whose
  optax form iterates ``LookaheadParams(fast, slow)``);
- optimizers optax lacks, written as optax writes its own (``qhm``, ``qhadam``: Ma &
  Yarats, Quasi-hyperbolic momentum and Adam for deep learning, ICLR 2019);
- optax's own optimizers with a signature every slider can reach: the engine wraps each
  factory in ``optax.inject_hyperparams``, which traces each numeric argument and calls
  each callable one as a schedule, so a tuple argument (``betas``) is split into scalar
  arguments, and a mode chosen in Python control flow (``dog``'s ``init_step`` kind,
  ``adafactor``'s factoring) or a callable (``adopt``'s ``clip_value_fn``) is fixed at
  optax's default, out of the injected signature;
- ``shown`` hooks: the point an optimizer's iterate stands for (schedule-free's
  evaluation point, Lookahead's slow weights), from its parameters and its own state.
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax


def prodigy(learning_rate, b1, b2, eps, estim_lr0, estim_lr_coef, weight_decay):
    """optax.contrib.prodigy with ``betas`` as two sliders; β₃ = √β₂ and no safeguard
    warm-up (optax's defaults)."""
    return optax.contrib.prodigy(learning_rate, betas=(b1, b2), eps=eps, estim_lr0=estim_lr0,
                                 estim_lr_coef=estim_lr_coef, weight_decay=weight_decay)


def dadapt_adamw(learning_rate, b1, b2, eps, estim_lr0, weight_decay):
    """optax.contrib.dadapt_adamw with ``betas`` as two sliders."""
    return optax.contrib.dadapt_adamw(learning_rate, betas=(b1, b2), eps=eps,
                                      estim_lr0=estim_lr0, weight_decay=weight_decay)


def dog(learning_rate, init_step_value, eps, weight_decay):
    """optax.contrib.dog with its ``"heuristic"`` initial step (optax's default kind):
    r_ε = init_step_value · (1 + ‖p₀‖)."""
    return optax.contrib.dog(learning_rate, init_step=("heuristic", init_step_value), eps=eps,
                             weight_decay=weight_decay)


def adopt(learning_rate, b1, b2, eps):
    """optax.contrib.adopt with its defaults for what is not a number: no Nesterov, the
    clip at t^¼ (``clip_value_fn``, a callable inject_hyperparams would call as a
    schedule)."""
    return optax.contrib.adopt(learning_rate, b1=b1, b2=b2, eps=eps)


def adafactor(learning_rate, decay_rate, clipping_threshold, eps):
    """optax.adafactor with its defaults for the rest: factoring of matrices whose two
    largest dimensions reach 128 (a vector is never factored), the step scaled by the
    parameters' RMS, no momentum, no weight decay, no decay offset."""
    return optax.adafactor(learning_rate, decay_rate=decay_rate,
                           clipping_threshold=clipping_threshold, eps=eps)


def polyak_sgd(learning_rate, max_learning_rate=1.0, eps=0.0, f_min=0.0):
    """optax.polyak_sgd with its ``scaling`` s as the engine's learning rate (schedulable).

    optax scales the gradient by s before the Polyak step is computed from it, so
    .. math:: p_{t+1} = p_t - \\min\\Big(\\frac{f(p_t) - f^\\star}{s^2\\|g_t\\|^2 + \\varepsilon},
       \\gamma_{\\max}\\Big)\\, s\\, g_t
    (no step where s²‖g‖² + ε is below float64's machine epsilon). Loizou et al., Stochastic
    Polyak step-size for SGD (AISTATS 2021).
    """
    return optax.polyak_sgd(max_learning_rate=max_learning_rate, scaling=learning_rate,
                            f_min=f_min, eps=eps)


def sam(learning_rate, rho=0.05):
    """Sharpness-aware minimization (Foret et al., ICLR 2021) as optax.contrib.sam runs it
    in opaque mode: one call is one outer step.

    The adversary is normalized SGD with step ρ (one ascent step: ``sync_period=2``), the
    outer optimizer plain SGD with step η; ``update`` needs ``grad_fn(params, i)``:
    .. math:: \\varepsilon_t = \\rho\\,\\frac{g_t}{\\|g_t\\|},\\quad
       p_{t+1} = p_t - \\eta\\,\\nabla f(p_t + \\varepsilon_t)
    """
    outer = optax.sgd(learning_rate)
    adversary = optax.chain(optax.contrib.normalize(), optax.sgd(rho))
    return optax.contrib.sam(outer, adversary, sync_period=2, opaque_mode=True)


def keyed_hutchinson():
    """optax's Hutchinson estimator of the Hessian's diagonal, u ⊙ (∇²f u) with a
    Rademacher probe u, drawn from the ``key`` each update is given (so a run's probes
    follow its seed) instead of a key kept in its own state; ``update`` also needs
    ``obj_fn``."""
    estimator = optax.contrib.hutchinson_estimator_diag_hessian()

    def init_fn(params):
        del params
        return optax.EmptyState()

    def update_fn(updates, state, params=None, *, obj_fn, key, **extra_args):
        del extra_args
        probe = estimator.init(params)._replace(key=key)
        diagonal, _ = estimator.update(updates, probe, params, obj_fn=obj_fn)
        return diagonal, state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def sophia(learning_rate, b1=0.965, b2=0.99, eps=1e-8, weight_decay=1e-4, gamma=0.01,
           clip_threshold=1.0, update_interval=10):
    """optax.contrib.sophia (Liu et al., Sophia, ICLR 2024) with Hutchinson's estimator
    drawing its probe from the key of each update (``keyed_hutchinson``): ``update``
    needs ``obj_fn`` and ``key``."""
    return optax.contrib.sophia(
        learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay, gamma=gamma,
        clip_threshold=clip_threshold, update_interval=update_interval,
        hessian_diagonal_fn=keyed_hutchinson())


class LookaheadSlowState(NamedTuple):
    """Lookahead on a plain parameter vector: the slow weights, and optax.lookahead's
    own state."""

    slow: optax.Params
    inner: optax.OptState


def lookahead(learning_rate, slow_step_size=0.5):
    """optax.lookahead around Adam (η, optax's β₁ = 0.9, β₂ = 0.999, ε = 1e-8), k = 5
    fast steps per synchronization (Zhang et al., Lookahead optimizer: k steps forward,
    1 step back, NeurIPS 2019).

    The parameters are the fast weights; the slow ones live in this transform's state
    (optax.lookahead's own parameters are the pair ``LookaheadParams(fast, slow)``):
    .. math:: \\phi \\leftarrow \\phi + \\alpha (\\theta_{t} - \\phi),\\quad
       \\theta_t \\leftarrow \\phi \\ \\text{every } k \\text{ steps}
    """
    inner = optax.lookahead(optax.adam(learning_rate), sync_period=5,
                            slow_step_size=slow_step_size)

    def init_fn(params):
        pair = optax.LookaheadParams.init_synced(params)
        return LookaheadSlowState(slow=params, inner=inner.init(pair))

    def update_fn(updates, state, params=None, **extra_args):
        del extra_args
        pair = optax.LookaheadParams(fast=params, slow=state.slow)
        steps, inner_state = inner.update(updates, state.inner, pair)
        slow = optax.apply_updates(state.slow, steps.slow)
        return steps.fast, LookaheadSlowState(slow=slow, inner=inner_state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class QHMState(NamedTuple):
    """QHM's momentum buffer, an exponential moving average of the gradients."""

    mu: optax.Updates


def qhm(learning_rate, nu=0.7, beta=0.999):
    """Quasi-hyperbolic momentum (Ma & Yarats, ICLR 2019, eq. 3), which optax lacks:

    .. math:: m_t = \\beta m_{t-1} + (1-\\beta) g_t,\\quad
       p_{t+1} = p_t - \\eta\\,[(1-\\nu) g_t + \\nu m_t]

    ν = 1 is momentum in its averaged form, ν = 0 plain SGD; the defaults are the paper's
    recommended starting point (ν = 0.7, β = 0.999).
    """

    def init_fn(params):
        return QHMState(mu=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None, **extra_args):
        del params, extra_args
        mu = optax.tree.update_moment(updates, state.mu, beta, 1)
        step = jax.tree.map(lambda g, m: -learning_rate * ((1 - nu) * g + nu * m),
                            updates, mu)
        return step, QHMState(mu=mu)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


class QHAdamState(NamedTuple):
    """QHAdam's update count and Adam's two moments."""

    count: jax.Array
    mu: optax.Updates
    nu: optax.Updates


def qhadam(learning_rate, b1=0.995, b2=0.999, nu1=0.7, nu2=1.0, eps=1e-8):
    """QHAdam (Ma & Yarats, ICLR 2019, Algorithm 2), which optax lacks:

    .. math:: \\hat m_t = \\frac{m_t}{1-\\beta_1^t},\\ \\hat v_t = \\frac{v_t}{1-\\beta_2^t},
       \\quad p_{t+1} = p_t - \\eta\\,\\frac{(1-\\nu_1) g_t + \\nu_1 \\hat m_t}
       {\\sqrt{(1-\\nu_2) g_t^2 + \\nu_2 \\hat v_t} + \\varepsilon}

    with Adam's moments m, v from 0. ν₁ = ν₂ = 1 is Adam; the defaults are the paper's
    recommended starting point (ν = (0.7, 1), β = (0.995, 0.999)).
    """

    def init_fn(params):
        return QHAdamState(count=jnp.zeros([], jnp.int32), mu=optax.tree.zeros_like(params),
                           nu=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None, **extra_args):
        del params, extra_args
        count = optax.safe_int32_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        m_hat = optax.tree.bias_correction(mu, b1, count)
        v_hat = optax.tree.bias_correction(nu, b2, count)

        def step(g, m, v):
            mixed = (1 - nu1) * g + nu1 * m
            return -learning_rate * mixed / (jnp.sqrt((1 - nu2) * g**2 + nu2 * v) + eps)

        return jax.tree.map(step, updates, m_hat, v_hat), QHAdamState(count, mu, nu)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def schedule_free_point(params, state):
    """Schedule-free's evaluation point x = (y − (1−β₁) z)/β₁ from the gradient point
    y (the parameters) and z (its state): optax.contrib.schedule_free_eval_params."""
    return optax.contrib.schedule_free_eval_params(state, params)


def slow_weights(params, state):
    """Lookahead's slow weights, kept in its state (``lookahead``)."""
    del params
    return state.slow


def recipe_script(*parts) -> str:
    """The source of ``parts`` (classes and functions of this module) as an exported
    script defines them: the script runs the catalogue's own code."""
    head = "from typing import NamedTuple\n\n\n" if any(
        isinstance(part, type) for part in parts) else ""
    return "\n" + head + "\n\n".join(inspect.getsource(part) for part in parts)
