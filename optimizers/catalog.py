"""The optimizer catalogue: optax recipes, their hyperparameters, update rules, references.

Every entry builds on optax (0.2.8): the ``factory`` is an optax alias, or a
GradientTransformation written in optax's style where optax lacks the method (Newton's
method here; QHM and QHAdam in optimizers/recipes.py) or where optax's must be given the
engine's interface (Lookahead on a plain vector, SAM in opaque mode, Sophia's probe
keyed by the run, Polyak's scaling as the learning rate: recipes.py), called with
optax's own argument names. Defaults of every hyperparameter except the learning rate
are optax's, with these exceptions: optax.sgd's ``momentum`` defaults to None (no
momentum), ours to the conventional 0.9; Newton's ``damping`` (0) is ours; where optax
has no default the paper's is used (Lookahead's α = 0.5, SAM's ρ = 0.05, QHM's and
QHAdam's recommended ν and β). Most optax optimizers have no default learning rate
(adadelta and lbfgs accept None, meaning η = 1, which is also our default for them), so
ours is chosen to make the default scene (Rosenbrock) instructive, and says so in its
help text; where optax has one (schedule-free SGD 1.0 and AdamW 0.0025, Polyak's
scaling 1.0, MoMo 1.0) it is optax's, even where the default scene diverges with it.

Conventions (where libraries and papers disagree, optax's rule is the one that runs,
and the one written here):

- momentum / nesterov: optax's trace ``v ← g + β v`` (PyTorch's form, no ``1-β``
  damping); Nesterov uses ``g + β v`` as the step. That is Sutskever et al.'s (2013)
  look-ahead rule rewritten in the shifted variable ``p + βv`` (Bengio et al. 2013), so
  the gradient is taken at the recorded point; for a constant η the two are equivalent.
- adagrad: the accumulator starts at 0.1 (``initial_accumulator_value``, as TensorFlow),
  and ``eps`` sits inside the square root: ``g / √(G + ε)``.
- rmsprop: ``ν`` starts at 0, no bias correction, ``eps`` inside the root.
- adam and its relatives: bias-corrected moments (t counted from 1), ``eps`` outside the
  root (``eps_root`` inside, default 0; AdaBelief's is 1e-16 and is added to the stored
  second moment). Yogi starts both moments at 1e-6, not 0.
- radam: the rectified step is used once ``ρ_t ≥ threshold`` (default 5; the paper's
  test is ``ρ_t > 4``), before that the un-normalized ``η m̂_t``.
- adamax: optax folds ``eps`` into the infinity norm, ``u ← max(β₂u, |g| + ε)``.
- adamw / lion: decoupled weight decay ``λ p``, scaled by the learning rate.
- schedule-free: the gradient is taken at the interpolation y, the point drawn is the
  evaluation point x (``shown``); Lookahead draws its slow weights; SAM its outer
  iterates (its adversarial point is internal to one update).
- Polyak and MoMo need a lower bound f* of the loss: the surface's minimum value where it
  is known, optax's default 0 otherwise (``minimum_argument``).

Left out: Muon (optax.contrib.muon). It orthogonalizes the momentum of each weight
*matrix* (Newton–Schulz iterations); a parameter that is a vector, such as the
playground's 2-D point, is routed to its AdamW fallback, so on these surfaces it would
only be AdamW under another name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax.numpy as jnp
import optax

from hparam import HParam
from optimizers import recipes
from optimizers.anatomy import (
    FIRST_MOMENT,
    STEP_ONLY,
    Accumulator,
    AdamMoments,
    Anatomy,
    GradientStep,
    Moment,
    SignedMomentum,
    Velocity,
)

#: The words of ``OptimizerSpec.needs``: what each adds to ``update``'s keyword arguments.
NEEDS: dict[str, str] = {
    "value": "value (the loss at the parameters), grad and value_fn (L-BFGS's line "
             "search; Polyak and MoMo read value alone)",
    "hessian": "hessian, the exact Hessian of the loss at the parameters",
    "obj_fn": "obj_fn, the loss as a function of the parameters alone",
    "key": "key, a PRNG key of the run's own (from its seed and the step), for an "
           "optimizer's own randomness",
    "grad_fn": "grad_fn(params, i), this step's gradient (its minibatch and noise draw) at "
               "any point",
}


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer: how to build it (optax), what can be tuned, what it does.

    ``needs`` names the extra arguments ``update`` requires beyond the gradient, one word
    each (``NEEDS``; the engine builds them in one place, ``engine.update_arguments``,
    and computes nothing a spec does not name).

    ``shown(params, state) -> point``, when set, is the point drawn and recorded for
    parameters ``params`` and the optimizer's own optax ``state`` (the factory's, inside
    the engine's chain and injection): the engine records it, its loss and gradient
    norm, and checks it for divergence, while the parameters stay what the optimizer
    iterates. ``minimum_argument`` names the factory argument that receives the
    surface's minimum value f* (where the surface knows it; otherwise the factory's own
    default applies). ``anatomy`` is what the overlays show of its state (optimizers/anatomy.py);
    ``script`` the source of the factory an exported optax script defines, when the
    factory is not one of optax's own public functions. ``heavy_ball`` names the
    hyperparameter β when the optimizer is Polyak's heavy ball in optax's form (v ← g +
    βv, p ← p − ηv), whose step-size theory on quadratics the studies draw.
    """

    slug: str
    name: str
    factory: Callable[..., optax.GradientTransformation]
    hparams: Mapping[str, HParam]
    latex: str
    reference: str
    family: str = "first-order"
    needs: frozenset[str] = field(default_factory=frozenset)
    notes: str = ""
    anatomy: Anatomy = STEP_ONLY
    script: str = ""
    heavy_ball: str = ""
    shown: Callable[[Any, Any], Any] | None = None
    minimum_argument: str = ""

    def __post_init__(self) -> None:
        unknown = self.needs - set(NEEDS)
        if unknown:
            raise ValueError(f"{self.slug}: unknown needs {sorted(unknown)}")

    @functools.cached_property
    def factory_path(self) -> str:
        """The factory's public name in optax (``optax.adam``, ``optax.contrib.momo``,
        ``optax.nadam`` for its partial of adam), or "" when it is not one of optax's
        (then ``script`` defines it)."""
        for path, module in (("optax", optax), ("optax.contrib", optax.contrib)):
            for name in dir(module):
                if not name.startswith("_") and getattr(module, name) is self.factory:
                    return f"{path}.{name}"
        return ""

    def point_drawn(self, params, state):
        """The point drawn for ``params`` and the optimizer's own optax ``state``:
        ``shown``'s, else the parameters (one signature for every spec, so a program
        that selects a spec per run can call each one's)."""
        return params if self.shown is None else self.shown(params, state)

    def from_surface(self, min_value: float | None) -> dict[str, float]:
        """The factory arguments set by the surface: its minimum value f* as
        ``minimum_argument``, where the surface knows it (else the factory's default)."""
        if self.minimum_argument and min_value is not None:
            return {self.minimum_argument: float(min_value)}
        return {}

    def defaults(self) -> dict[str, float]:
        return {name: hp.default for name, hp in self.hparams.items()}


def _lr(default: float) -> HParam:
    return HParam(default, 1e-5, 10.0, log=True, label="learning rate η",
                  help="optax has no default learning rate; this one suits the default "
                  "scene.")


def _beta(default: float, label: str) -> HParam:
    return HParam(default, 0.0, 0.9999, label=label)


def _eps(default: float, label: str = "ε") -> HParam:
    return HParam(default, 1e-16, 1.0, log=True, label=label)


class NewtonState(NamedTuple):
    """Newton's method keeps no state."""


def newton(learning_rate: float, damping: float = 0.0) -> optax.GradientTransformationExtraArgs:
    """Damped Newton's method on the exact Hessian.

    .. math:: p_{t+1} = p_t - \\eta\\,(\\nabla^2 f(p_t) + \\lambda I)^{-1}\\nabla f(p_t)

    optax has no exact-Hessian method, so this follows optax's conventions: ``update``
    takes the Hessian as the extra argument ``hessian``. With λ = 0 it jumps straight to
    the stationary point of the local quadratic model, a saddle or a maximum included;
    λ > 0 interpolates toward gradient descent with step η/λ (Levenberg 1944,
    Marquardt 1963). Reference: Nocedal & Wright, Numerical Optimization (2006), §3.3.
    """

    def init_fn(params):
        del params
        return NewtonState()

    def update_fn(updates, state, params=None, *, hessian, **extra_args):
        del params, extra_args
        damped = hessian + damping * jnp.eye(hessian.shape[-1], dtype=hessian.dtype)
        direction = jnp.linalg.solve(damped, updates)
        return -learning_rate * direction, state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _lbfgs(learning_rate: float) -> optax.GradientTransformationExtraArgs:
    return optax.lbfgs(learning_rate=learning_rate, memory_size=10)


_ADAM_RULE = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
    r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad "
    r"\hat m_t = \frac{m_t}{1-\beta_1^t},\ \hat v_t = \frac{v_t}{1-\beta_2^t},\quad "
)

_SPECS: tuple[OptimizerSpec, ...] = (
    OptimizerSpec(
        slug="sgd", name="SGD", factory=optax.sgd,
        hparams={"learning_rate": _lr(1e-3)},
        latex=r"p_{t+1} = p_t - \eta\, g_t",
        reference="Robbins & Monro, A stochastic approximation method (1951); optax.sgd",
        anatomy=GradientStep(),
    ),
    OptimizerSpec(
        slug="momentum", name="Momentum", factory=optax.sgd,
        hparams={"learning_rate": _lr(1e-3), "momentum": _beta(0.9, "momentum β")},
        latex=r"v_t = g_t + \beta v_{t-1},\quad p_{t+1} = p_t - \eta\, v_t",
        reference="Polyak, Some methods of speeding up the convergence of iteration "
        "methods (1964); optax.sgd(momentum=β)",
        notes="optax's trace has no (1-β) factor: the effective step is η/(1-β).",
        anatomy=Velocity(),
        heavy_ball="momentum",
    ),
    OptimizerSpec(
        slug="nesterov", name="Nesterov", factory=lambda learning_rate, momentum: optax.sgd(
            learning_rate, momentum=momentum, nesterov=True),
        hparams={"learning_rate": _lr(1e-3), "momentum": _beta(0.9, "momentum β")},
        latex=r"v_t = g_t + \beta v_{t-1},\quad p_{t+1} = p_t - \eta\,(g_t + \beta v_t)",
        reference="Nesterov (1983); Sutskever et al., On the importance of initialization "
        "and momentum in deep learning (ICML 2013); optax.sgd(nesterov=True)",
        anatomy=Velocity(nesterov=True),
        script='''
def nesterov(learning_rate, momentum):
    return optax.sgd(learning_rate, momentum=momentum, nesterov=True)
''',
    ),
    OptimizerSpec(
        slug="adagrad", name="AdaGrad", factory=optax.adagrad,
        hparams={
            "learning_rate": _lr(0.5),
            "initial_accumulator_value": HParam(0.1, 0.0, 10.0, label="G₀"),
            "eps": _eps(1e-7),
        },
        latex=r"G_t = G_{t-1} + g_t^2,\ G_0 = 0.1,\quad "
        r"p_{t+1} = p_t - \eta\,\frac{g_t}{\sqrt{G_t + \varepsilon}}",
        reference="Duchi, Hazan & Singer, Adaptive subgradient methods, JMLR 12 (2011); "
        "optax.adagrad",
        notes="optax starts the accumulator at 0.1 and puts ε inside the root "
        "(PyTorch: G₀ = 0, ε outside).",
        anatomy=Accumulator(moments=(Moment("G", "sum_of_squares", "initial_accumulator_value"),)),
    ),
    OptimizerSpec(
        slug="rmsprop", name="RMSProp", factory=optax.rmsprop,
        hparams={"learning_rate": _lr(0.01), "decay": _beta(0.9, "decay ρ"),
                 "eps": _eps(1e-8)},
        latex=r"\nu_t = \rho\,\nu_{t-1} + (1-\rho)\,g_t^2,\quad "
        r"p_{t+1} = p_t - \eta\,\frac{g_t}{\sqrt{\nu_t + \varepsilon}}",
        reference="Hinton, Neural Networks for Machine Learning, lecture 6e (2012); "
        "optax.rmsprop",
        notes="ν₀ = 0 with no bias correction, so the first steps are large: "
        "η/√(1-ρ) per coordinate.",
        anatomy=Accumulator(moments=(Moment("ν", "nu"),), decay="decay"),
    ),
    OptimizerSpec(
        slug="adadelta", name="AdaDelta", factory=optax.adadelta,
        hparams={"learning_rate": _lr(1.0), "rho": _beta(0.9, "ρ"), "eps": _eps(1e-6)},
        latex=r"E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho) g_t^2,\quad "
        r"\Delta_t = \frac{\sqrt{E[\Delta^2]_{t-1}+\varepsilon}}{\sqrt{E[g^2]_t+\varepsilon}}"
        r"\,g_t,\quad E[\Delta^2]_t = \rho E[\Delta^2]_{t-1} + (1-\rho)\Delta_t^2,"
        r"\quad p_{t+1} = p_t - \eta\,\Delta_t",
        reference="Zeiler, ADADELTA: an adaptive learning rate method (2012); "
        "optax.adadelta",
        notes="Zeiler's method has no learning rate (η = 1).",
    ),
    OptimizerSpec(
        slug="adam", name="Adam", factory=optax.adam,
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8)},
        latex=_ADAM_RULE + r"p_{t+1} = p_t - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon}",
        reference="Kingma & Ba, Adam: a method for stochastic optimization (ICLR 2015); "
        "optax.adam",
        anatomy=AdamMoments(),
    ),
    OptimizerSpec(
        slug="adamw", name="AdamW", factory=optax.adamw,
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8),
                 "weight_decay": HParam(1e-4, 0.0, 1.0, label="weight decay λ")},
        latex=_ADAM_RULE
        + r"p_{t+1} = p_t - \eta\left(\frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon}"
        r" + \lambda p_t\right)",
        reference="Loshchilov & Hutter, Decoupled weight decay regularization (ICLR 2019); "
        "optax.adamw",
        notes="The decay pulls toward the origin, so AdamW's fixed point is not the "
        "minimum of f unless λ = 0.",
        anatomy=AdamMoments(final="adamw"),
    ),
    OptimizerSpec(
        slug="nadam", name="NAdam", factory=optax.nadam,
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8)},
        latex=r"m_t,\ v_t\ \text{as Adam},\quad "
        r"\bar m_t = \frac{\beta_1 m_t}{1-\beta_1^{t+1}} + \frac{(1-\beta_1) g_t}{1-\beta_1^t},"
        r"\quad p_{t+1} = p_t - \eta\,\frac{\bar m_t}{\sqrt{\hat v_t}+\varepsilon}",
        reference="Dozat, Incorporating Nesterov momentum into Adam (ICLR workshop 2016); "
        "optax.nadam",
        anatomy=AdamMoments(final="step"),
    ),
    OptimizerSpec(
        slug="amsgrad", name="AMSGrad", factory=optax.amsgrad,
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8)},
        latex=_ADAM_RULE + r"\tilde v_t = \max(\tilde v_{t-1}, \hat v_t),\quad "
        r"p_{t+1} = p_t - \eta\,\frac{\hat m_t}{\sqrt{\tilde v_t}+\varepsilon}",
        reference="Reddi, Kale & Kumar, On the convergence of Adam and beyond (ICLR 2018); "
        "optax.amsgrad",
        notes="optax takes the running maximum of the bias-corrected v̂.",
        anatomy=AdamMoments(moments=(Moment("m", "mu"), Moment("v", "nu"),
                                     Moment("ṽ", "nu_max")), final="amsgrad"),
    ),
    OptimizerSpec(
        slug="adamax", name="AdaMax", factory=optax.adamax,
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8)},
        latex=r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
        r"u_t = \max(\beta_2 u_{t-1}, |g_t| + \varepsilon),\quad "
        r"p_{t+1} = p_t - \eta\,\frac{m_t}{(1-\beta_1^t)\,u_t}",
        reference="Kingma & Ba (ICLR 2015), §7.1; optax.adamax",
        anatomy=FIRST_MOMENT,
    ),
    OptimizerSpec(
        slug="adabelief", name="AdaBelief", factory=optax.adabelief,
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-16)},
        latex=r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
        r"s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \varepsilon_{\text{root}},"
        r"\quad "
        r"p_{t+1} = p_t - \eta\,\frac{m_t/(1-\beta_1^t)}{\sqrt{s_t/(1-\beta_2^t)}+\varepsilon}",
        reference="Zhuang et al., AdaBelief optimizer (NeurIPS 2020); optax.adabelief",
        notes="The paper adds the same ε to s_t and outside the root; optax adds a "
        "separate ε_root = 1e-16 (fixed here) to s_t, which is stored and so accumulates, "
        "and uses the ε slider only outside the root. With β₁ = 0, g_t − m_t ≡ 0 and s_t "
        "is ε_root alone: the first step, η g/√(ε_root/(1−β₂)), flies off.",
        anatomy=FIRST_MOMENT,
    ),
    OptimizerSpec(
        slug="lion", name="Lion", factory=optax.lion,
        hparams={"learning_rate": _lr(0.02), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.99, "β₂"),
                 "weight_decay": HParam(1e-3, 0.0, 1.0, label="weight decay λ")},
        latex=r"c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
        r"p_{t+1} = p_t - \eta\left(\operatorname{sign}(c_t) + \lambda p_t\right),\quad "
        r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t",
        reference="Chen et al., Symbolic discovery of optimization algorithms "
        "(NeurIPS 2023); optax.lion",
        notes="Every coordinate moves by exactly ±η (plus decay; 0 where c_t = 0): "
        "Lion ignores the gradient's scale.",
        anatomy=SignedMomentum(),
    ),
    OptimizerSpec(
        slug="radam", name="RAdam", factory=optax.radam,
        hparams={"learning_rate": _lr(0.001), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8),
                 "threshold": HParam(5.0, 4.0, 100.0, label="ρ threshold τ")},
        latex=r"\rho_\infty = \tfrac{2}{1-\beta_2} - 1,\ "
        r"\rho_t = \rho_\infty - \tfrac{2t\beta_2^t}{1-\beta_2^t},\quad "
        r"p_{t+1} = p_t - \eta \begin{cases} r_t \frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon}"
        r" & \rho_t \ge \tau \\ \hat m_t & \text{otherwise}\end{cases},\ "
        r"r_t = \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)"
        r"(\rho_\infty-2)\rho_t}}",
        reference="Liu et al., On the variance of the adaptive learning rate and beyond "
        "(ICLR 2020); optax.radam",
        notes="τ is optax's threshold (default 5; the paper uses ρ_t > 4). Until ρ_t "
        "reaches τ (about step τ+1 for β₂ near 1) the step is η m̂_t, not normalized, so "
        "η must suit the gradient's scale. With τ < 4, a step with τ ≤ ρ_t < 4 (and "
        "ρ_t > 2) makes r_t the root of a negative number: optax returns NaN and the run "
        "stops as diverged.",
        anatomy=FIRST_MOMENT,
    ),
    OptimizerSpec(
        slug="yogi", name="Yogi", factory=optax.yogi,
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-3)},
        latex=r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
        r"v_t = v_{t-1} - (1-\beta_2)\operatorname{sign}(v_{t-1} - g_t^2)\,g_t^2,\quad "
        r"\hat m_t = \frac{m_t}{1-\beta_1^t},\ \hat v_t = \frac{v_t}{1-\beta_2^t},\quad "
        r"p_{t+1} = p_t - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon}",
        reference="Zaheer et al., Adaptive methods for nonconvex optimization "
        "(NeurIPS 2018); optax.yogi",
        notes="optax starts both m and v at 1e-6, bias-corrects them as Adam does, and "
        "uses ε = 1e-3 by default.",
        anatomy=FIRST_MOMENT,
    ),
    OptimizerSpec(
        slug="newton", name="Newton", factory=newton, family="second-order",
        needs=frozenset({"hessian"}),
        hparams={"learning_rate": HParam(1.0, 1e-3, 2.0, log=True, label="step size η"),
                 "damping": HParam(0.0, 0.0, 1000.0, label="damping λ")},
        latex=r"p_{t+1} = p_t - \eta\,\left(\nabla^2 f(p_t) + \lambda I\right)^{-1} g_t",
        reference="Nocedal & Wright, Numerical Optimization (2006), §3.3; "
        "Levenberg (1944), Marquardt (1963) for the damping",
        notes="Undamped Newton is attracted by saddles and maxima as much as by minima.",
        script='''
def newton(learning_rate, damping):
    """Damped Newton's method (optax has none): update = -η (H + λI)⁻¹ g."""

    def init_fn(params):
        return optax.EmptyState()

    def update_fn(updates, state, params=None, *, hessian, **extra):
        damped = hessian + damping * jnp.eye(hessian.shape[-1], dtype=hessian.dtype)
        return -learning_rate * jnp.linalg.solve(damped, updates), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
''',
    ),
    OptimizerSpec(
        slug="lbfgs", name="L-BFGS", factory=_lbfgs, family="second-order",
        needs=frozenset({"value"}),
        hparams={"learning_rate": HParam(1.0, 1e-3, 2.0, log=True,
                                         label="initial step η")},
        latex=r"d_t = -H_t\,g_t\ \text{(two-loop recursion over the last 10 pairs } "
        r"s_k = p_{k+1}-p_k,\ y_k = g_{k+1}-g_k),\quad p_{t+1} = p_t + \alpha_t\,\eta\,d_t",
        reference="Liu & Nocedal, On the limited memory BFGS method (1989); optax.lbfgs "
        "with its zoom line search (Nocedal & Wright, Alg. 3.5–3.6) choosing α_t",
        notes="Each step may evaluate f several times inside the line search. The "
        "two-loop recursion starts from γ I with γ = sᵀy / yᵀy; the first step, with no "
        "pairs yet, is along -g with trial length η·min(1, ‖g‖) before the line search.",
        script='''
def lbfgs(learning_rate):
    return optax.lbfgs(learning_rate=learning_rate, memory_size=10)
''',
    ),
)


def _optax_lr(default: float, label: str = "learning rate η") -> HParam:
    return HParam(default, 1e-5, 10.0, log=True, label=label, help="optax's default.")


_WRAPPERS = "schedule-free and wrappers"
_SCHEDULE_FREE_NOTE = (
    "The gradient is taken at the interpolated point y (the parameters optax iterates); "
    "the point drawn, with its loss, gradient norm and divergence check, is the "
    "evaluation point x = optax.contrib.schedule_free_eval_params(state, y). optax's "
    "warm-up (warmup_steps) is off: use the schedule setting, whose η_t also drives the "
    "averaging weights η_max^r. β₁ must be positive (x = (y − (1−β₁)z)/β₁).")
_SCHEDULE_FREE_RULE = (
    r"y_t = (1-\beta_1) z_t + \beta_1 x_t,\quad "
    r"c_{t+1} = \frac{\eta_{\max,t}^{\,r}}{\sum_{i\le t} \eta_{\max,i}^{\,r}},\quad "
    r"x_{t+1} = (1-c_{t+1})\,x_t + c_{t+1}\,z_{t+1},\quad "
)
_F_STAR_NOTE = ("f* is the surface's minimum value where it is known (every built-in "
                "surface), optax's default 0 otherwise (a typed formula, the MLP).")

_SPECS_2024 = (
    OptimizerSpec(
        slug="schedule_free_sgd", name="Schedule-free SGD",
        factory=optax.contrib.schedule_free_sgd, family=_WRAPPERS,
        hparams={"learning_rate": _optax_lr(1.0),
                 "b1": HParam(0.9, 0.01, 0.9999, label="interpolation β₁"),
                 "weight_lr_power": HParam(2.0, 0.0, 8.0, label="weight power r")},
        latex=_SCHEDULE_FREE_RULE + r"z_{t+1} = z_t - \eta_t\, \nabla f(y_t)",
        reference="Defazio et al., The road less scheduled (NeurIPS 2024); "
        "optax.contrib.schedule_free_sgd",
        notes=_SCHEDULE_FREE_NOTE + " No weight decay (optax's default None).",
        shown=recipes.schedule_free_point,
    ),
    OptimizerSpec(
        slug="schedule_free_adamw", name="Schedule-free AdamW",
        factory=optax.contrib.schedule_free_adamw, family=_WRAPPERS,
        hparams={"learning_rate": _optax_lr(0.0025),
                 "b1": HParam(0.9, 0.01, 0.9999, label="interpolation β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8),
                 "weight_decay": HParam(0.0, 0.0, 1.0, label="weight decay λ"),
                 "weight_lr_power": HParam(2.0, 0.0, 8.0, label="weight power r")},
        latex=_SCHEDULE_FREE_RULE
        + r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\ \hat v_t = \frac{v_t}{1-\beta_2^t},"
        r"\quad z_{t+1} = z_t - \eta_t \left(\frac{g_t}{\sqrt{\hat v_t}+\varepsilon}"
        r" + \lambda y_t\right),\ g_t = \nabla f(y_t)",
        reference="Defazio et al., The road less scheduled (NeurIPS 2024); "
        "optax.contrib.schedule_free_adamw",
        notes=_SCHEDULE_FREE_NOTE + " The base step is Adam's without momentum "
        "(scale_by_rms with bias correction, ε outside the root); the decay λ y_t acts at "
        "the gradient point and is scaled by η.",
        shown=recipes.schedule_free_point,
    ),
    OptimizerSpec(
        slug="lookahead", name="Lookahead (Adam)", factory=recipes.lookahead,
        family=_WRAPPERS,
        hparams={"learning_rate": _lr(0.1),
                 "slow_step_size": HParam(0.5, 0.0, 1.0, label="slow step α",
                                          help="The paper's default; optax has none.")},
        latex=r"\theta_{t+1} = \theta_t + \mathrm{Adam}_\eta(g_t),\ g_t = \nabla f(\theta_t);"
        r"\quad \text{every } k = 5 \text{ steps: } \phi \leftarrow \phi + "
        r"\alpha\,(\theta_{t+1} - \phi),\ \theta_{t+1} \leftarrow \phi",
        reference="Zhang, Lucas, Hinton & Ba, Lookahead optimizer: k steps forward, 1 step "
        "back (NeurIPS 2019); optax.lookahead around optax.adam",
        notes="The fast optimizer is Adam with optax's β₁ = 0.9, β₂ = 0.999, ε = 1e-8, its "
        "state never reset; the synchronization period k = 5 (the paper's) is fixed "
        "(optax checks it is ≥ 1 in Python, so it cannot be a slider). The gradient is "
        "taken at the fast weights θ; the point drawn is the slow weights φ, which move "
        "once every 5 steps. A wrapper keeps φ in the optimizer's state so the "
        "parameters stay one 2-vector (optax.lookahead's are LookaheadParams(fast, slow)).",
        shown=recipes.slow_weights,
        script=recipes.recipe_script(recipes.LookaheadSlowState, recipes.lookahead),
    ),
    OptimizerSpec(
        slug="sam", name="SAM", factory=recipes.sam, family=_WRAPPERS,
        needs=frozenset({"grad_fn"}),
        hparams={"learning_rate": _lr(1e-3),
                 "rho": HParam(0.05, 0.0, 2.0, label="radius ρ",
                               help="The paper's default; optax has none.")},
        latex=r"\varepsilon_t = \rho\,\frac{g_t}{\|g_t\|},\quad "
        r"p_{t+1} = p_t - \eta\,\nabla f(p_t + \varepsilon_t)",
        reference="Foret, Kleiner, Mobahi & Neyshabur, Sharpness-aware minimization for "
        "efficiently improving generalization (ICLR 2021); optax.contrib.sam",
        notes="optax.contrib.sam in opaque mode, one engine step per outer step: the "
        "adversary is normalized SGD with step ρ (one ascent step, sync_period = 2), the "
        "outer optimizer plain SGD with step η. Only the outer iterates are drawn; the "
        "gradient at p + ε comes from the same minibatch and noise draw as g_t, and is "
        "not clipped (clipping acts on g_t). At a point where g = 0 the normalization "
        "is 0/0 and the run stops there.",
        script=recipes.recipe_script(recipes.sam),
    ),
    OptimizerSpec(
        slug="polyak_sgd", name="Polyak step size", factory=recipes.polyak_sgd,
        family="parameter-free", needs=frozenset({"value"}), minimum_argument="f_min",
        hparams={"learning_rate": _optax_lr(1.0, "scaling s"),
                 "max_learning_rate": HParam(1.0, 1e-4, 100.0, log=True,
                                             label="largest step γ_max"),
                 "eps": HParam(0.0, 0.0, 1.0, label="ε")},
        latex=r"p_{t+1} = p_t - \min\left(\frac{f(p_t) - f^\star}{s^2\|g_t\|^2 + "
        r"\varepsilon},\ \gamma_{\max}\right) s\, g_t",
        reference="Loizou, Vaswani, Laradji & Lacoste-Julien, Stochastic Polyak step-size "
        "for SGD (AISTATS 2021); Polyak, Introduction to optimization (1987); "
        "optax.polyak_sgd",
        notes="The engine's learning rate is optax's scaling s (schedulable). optax "
        "scales g by s before computing the step from it, so s enters the denominator "
        "squared (its docstring writes s·min(…)); s = 1 is SPS_max. " + _F_STAR_NOTE
        + " Variant 'sps' (a negative gap steps uphill).",
        script=recipes.recipe_script(recipes.polyak_sgd),
    ),
    OptimizerSpec(
        slug="momo", name="MoMo", factory=optax.contrib.momo, family="parameter-free",
        needs=frozenset({"value"}), minimum_argument="lower_bound",
        hparams={"learning_rate": _optax_lr(1.0, "largest step α"),
                 "beta": _beta(0.9, "momentum β"),
                 "weight_decay": HParam(0.0, 0.0, 1.0, label="weight decay λ")},
        latex=r"\bar f_t = \beta \bar f_{t-1} + (1-\beta) f(p_t),\ "
        r"d_t = \beta d_{t-1} + (1-\beta) g_t,\ "
        r"\gamma_t = \beta\gamma_{t-1} + (1-\beta)\langle g_t, p_t\rangle,\quad "
        r"\tau_t = \min\left(\alpha, \frac{\left[(1+\alpha\lambda)(\bar f_t - f^\star"
        r" - \gamma_t) + \langle d_t, p_t\rangle\right]_+}{\|d_t\|^2}\right),\quad "
        r"p_{t+1} = p_t - \frac{\alpha\lambda}{1+\alpha\lambda}\,p_t - \tau_t d_t",
        reference="Schaipp, Ohana, Eickenberg, Defazio & Gower, MoMo: momentum models for "
        "adaptive learning rates (ICML 2024); optax.contrib.momo",
        notes="The averages start at the first values (β is 0 at the first update). "
        + _F_STAR_NOTE + " adapt_lower_bound is off (optax's default). With λ > 0 the "
        "decay is optax's −αλ/(1+αλ) p_t, added to the step −τ_t d_t.",
        anatomy=Anatomy(moments=(Moment("d", "exp_avg"),), momentum="d"),
    ),
    OptimizerSpec(
        slug="sophia", name="Sophia", factory=recipes.sophia, family="second-order",
        needs=frozenset({"obj_fn", "key"}),
        hparams={"learning_rate": _lr(0.05), "b1": _beta(0.965, "β₁"),
                 "b2": _beta(0.99, "β₂"), "eps": _eps(1e-8),
                 "weight_decay": HParam(1e-4, 0.0, 1.0, label="weight decay λ"),
                 "gamma": HParam(0.01, 1e-4, 10.0, log=True, label="γ"),
                 "clip_threshold": HParam(1.0, 1e-3, 100.0, log=True, label="clip ρ"),
                 "update_interval": HParam(10, 1, 100, integer=True,
                                           label="Hessian every k steps")},
        latex=r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
        r"p_{t+1} = p_t - \eta\left(\operatorname{clip}\left(\frac{m_t/(1-\beta_1^t)}"
        r"{\max(\gamma h_{t-1}, \varepsilon)}, \rho\right) + \lambda p_t\right),\quad "
        r"h_t = \beta_2 h_{t-1} + (1-\beta_2)\, u \odot (\nabla^2 f(p_t)\, u)"
        r"\ \text{every } k \text{ steps},\ u \sim \{\pm 1\}^2",
        reference="Liu, Li, Hall, Liang & Ma, Sophia: a scalable stochastic second-order "
        "optimizer for language model pre-training (ICLR 2024); optax.contrib.sophia",
        notes="Sophia-H: Hutchinson's estimate of the Hessian's diagonal with a Rademacher "
        "probe u (optax's; the paper uses Gaussian probes), refreshed at updates 1, k+1, "
        "2k+1, … and used from the next update on (h starts at 0, so the first steps are "
        "clipped to ±ηρ). The probe is drawn from the run's seed and the step, so a link "
        "replays the same run. Where the estimate is ≤ 0 the denominator is ε and the "
        "step is clipped: a sign step.",
        anatomy=FIRST_MOMENT,
        script=recipes.recipe_script(recipes.keyed_hutchinson, recipes.sophia),
    ),
    OptimizerSpec(
        slug="qhm", name="QHM", factory=recipes.qhm, family="classic",
        hparams={"learning_rate": _lr(1e-3), "nu": HParam(0.7, 0.0, 1.0, label="ν"),
                 "beta": _beta(0.999, "momentum β")},
        latex=r"m_t = \beta m_{t-1} + (1-\beta) g_t,\quad "
        r"p_{t+1} = p_t - \eta\left[(1-\nu)\, g_t + \nu\, m_t\right]",
        reference="Ma & Yarats, Quasi-hyperbolic momentum and Adam for deep learning "
        "(ICLR 2019); not in optax: written here in optax's style",
        notes="An average of a plain SGD step and a momentum step. The momentum is an "
        "exponential average (with 1−β), not optax's trace: at ν = 1 it is heavy ball with "
        "step η(1−β). Defaults ν = 0.7, β = 0.999 are the paper's recommendation; m starts "
        "at 0 without bias correction, so with β = 0.999 the momentum part grows slowly.",
        anatomy=FIRST_MOMENT,
        script=recipes.recipe_script(recipes.QHMState, recipes.qhm),
    ),
    OptimizerSpec(
        slug="qhadam", name="QHAdam", factory=recipes.qhadam, family="adaptive",
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.995, "β₁"),
                 "b2": _beta(0.999, "β₂"), "nu1": HParam(0.7, 0.0, 1.0, label="ν₁"),
                 "nu2": HParam(1.0, 0.0, 1.0, label="ν₂"), "eps": _eps(1e-8)},
        latex=_ADAM_RULE + r"p_{t+1} = p_t - \eta\,\frac{(1-\nu_1) g_t + \nu_1 \hat m_t}"
        r"{\sqrt{(1-\nu_2) g_t^2 + \nu_2 \hat v_t} + \varepsilon}",
        reference="Ma & Yarats, Quasi-hyperbolic momentum and Adam for deep learning "
        "(ICLR 2019), Algorithm 2; not in optax: written here in optax's style",
        notes="ν₁ = ν₂ = 1 is Adam. Defaults ν = (0.7, 1), β = (0.995, 0.999) are the "
        "paper's recommendation; ε outside the root, as optax's Adam.",
        anatomy=FIRST_MOMENT,
        script=recipes.recipe_script(recipes.QHAdamState, recipes.qhadam),
    ),
)

OPTIMIZERS: dict[str, OptimizerSpec] = {spec.slug: spec for spec in (*_SPECS, *_SPECS_2024)}
