"""Small factories around optax's where a slider cannot reach an argument as it stands.

The engine wraps every catalogue factory in ``optax.inject_hyperparams``, which traces
each numeric argument and calls every callable one as a schedule. So a tuple argument
(``betas``) is split into scalar arguments, a mode chosen in Python control flow
(``dog``'s ``init_step`` kind, ``adafactor``'s factoring) or a callable (``adopt``'s
``clip_value_fn``) is fixed at optax's default here, out of the injected signature.

Each function is written with nothing but ``optax``, so its own source is the definition
an exported script carries (``OptimizerSpec.script``), and its name is its slug.
"""

from __future__ import annotations

import inspect
import textwrap

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


def source(factory) -> str:
    """The definition of ``factory`` for an exported script."""
    return "\n" + textwrap.dedent(inspect.getsource(factory))
