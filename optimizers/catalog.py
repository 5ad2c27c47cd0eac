"""The optimizer catalogue: optax recipes, their hyperparameters, update rules, references.

Every entry builds on optax (0.2.8): the ``factory`` is an optax alias from ``optax`` or
``optax.contrib``, or a factory of optimizers/recipes.py written in optax's style: where
optax lacks the method (Newton's method here; QHM and QHAdam), where optax's must be
given the engine's interface (Lookahead on a plain vector, SAM in opaque mode, Sophia's
probe keyed by the run, Polyak's scaling as the learning rate), or where an argument is
a tuple, a callable or a mode that cannot be a slider (Prodigy's and D-Adaptation's
``betas``, DoG's initial-step kind, ADOPT's clipping function, Adafactor's factoring);
each is called with optax's own argument names. Defaults of every hyperparameter except
the learning rate are optax's, with these exceptions: optax.sgd's ``momentum`` defaults
to None (no momentum), ours to the conventional 0.9; Newton's ``damping`` (0) is ours;
DoG's and DoWG's ``weight_decay`` default to None in optax (no decay), ours to the same
thing as a number, 0; where optax has no default the paper's is used (Lookahead's
α = 0.5, SAM's ρ = 0.05, QHM's and QHAdam's recommended ν and β). Most optax optimizers
have no default learning rate (adadelta, lbfgs and adafactor accept None, meaning η = 1),
so ours is chosen to make the default scene (Rosenbrock) instructive, and says so in its
help text; the parameter-free methods keep optax's 1, and where optax has one
(schedule-free SGD 1.0 and AdamW 0.0025, Polyak's scaling 1.0, MoMo 1.0) it is optax's,
even where the default scene diverges with it.

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
    LayerwiseAdamMoments,
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


class Family(NamedTuple):
    """A group of the optimizer picker: its name and what its members have in common."""

    name: str
    description: str


#: The picker's groups, in order.
FAMILIES: tuple[Family, ...] = tuple(Family(*pair) for pair in (
    ("classic", "gradient descent, with or without momentum: one step size for every "
     "coordinate"),
    ("adaptive", "a step size per coordinate (or per layer) from running statistics of "
     "the gradients"),
    ("sign-based", "only the sign of each coordinate's (averaged) gradient sets the step"),
    ("parameter-free", "the method estimates its own step size; the learning rate is a "
     "multiplier, 1 by default"),
    ("schedule-free and wrappers", "built around another optimizer: averaging its "
     "iterates, looking ahead, or sharpening its gradient"),
    ("second-order", "curvature from the Hessian or from past gradients"),
))
FAMILY_NAMES: tuple[str, ...] = tuple(family.name for family in FAMILIES)


@dataclass(frozen=True, eq=False)
class OptimizerSpec:
    """One optimizer: how to build it (optax), what can be tuned, what it does.

    ``needs`` names the extra arguments ``update`` requires beyond the gradient, one word
    each (``NEEDS``; the engine builds them in one place, ``engine.update_arguments``,
    and computes nothing a spec does not name). ``family`` is its group in the picker,
    one of ``FAMILY_NAMES``. A spec is its own identity (equal only to itself, hashed by
    identity), so compiled programs can be cached by spec.

    ``shown(params, state) -> point``, when set, is the point drawn and recorded for
    parameters ``params`` and the optimizer's own optax ``state`` (the factory's, inside
    the engine's chain and injection): the engine records it, its loss and gradient
    norm, and checks it for divergence, while the parameters stay what the optimizer
    iterates. ``minimum_argument`` names the factory argument that receives the
    surface's minimum value f* (where the surface knows it; otherwise the factory's own
    default applies). ``anatomy`` is what the overlays show of its state
    (optimizers/anatomy.py);
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
    family: str
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
        if self.family not in FAMILY_NAMES:
            raise ValueError(f"{self.slug}: unknown family {self.family!r}")

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

_OURS = "optax has no default learning rate; this one suits the default scene."


def _lr(default: float, help: str = _OURS) -> HParam:
    return HParam(default, 1e-5, 10.0, log=True, label="learning rate η", help=help)


def _lr_multiplier() -> HParam:
    """The learning rate of a learning-rate-free method: optax's default, 1."""
    return HParam(1.0, 1e-5, 10.0, log=True, label="multiplier η",
                  help="optax's default, 1: the method sets its own step size; η only "
                  "scales it (optax recommends using it for a schedule).")


def _decay(default: float, label: str = "weight decay λ") -> HParam:
    return HParam(default, 0.0, 1.0, label=label)


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
        family="classic",
        hparams={"learning_rate": _lr(1e-3)},
        latex=r"p_{t+1} = p_t - \eta\, g_t",
        reference="Robbins & Monro, A stochastic approximation method (1951); optax.sgd",
        anatomy=GradientStep(),
    ),
    OptimizerSpec(
        slug="momentum", name="Momentum", factory=optax.sgd,
        family="classic",
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
        family="classic",
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
        family="adaptive",
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
        family="adaptive",
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
        family="adaptive",
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
        family="adaptive",
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8)},
        latex=_ADAM_RULE + r"p_{t+1} = p_t - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon}",
        reference="Kingma & Ba, Adam: a method for stochastic optimization (ICLR 2015); "
        "optax.adam",
        anatomy=AdamMoments(),
    ),
    OptimizerSpec(
        slug="adamw", name="AdamW", factory=optax.adamw,
        family="adaptive",
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
        family="adaptive",
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
        family="adaptive",
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
        family="adaptive",
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
        family="adaptive",
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
        family="sign-based",
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
        family="adaptive",
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
        family="adaptive",
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
    # -- parameter-free: each estimates its own step size; η multiplies it ------------
    OptimizerSpec(
        slug="prodigy", name="Prodigy", factory=recipes.prodigy, family="parameter-free",
        hparams={"learning_rate": _lr_multiplier(), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8),
                 "estim_lr0": HParam(1e-6, 1e-10, 1.0, log=True, label="initial estimate d₀"),
                 "estim_lr_coef": HParam(1.0, 0.01, 100.0, log=True,
                                         label="estimate multiplier c"),
                 "weight_decay": _decay(0.0)},
        latex=r"\hat\eta_t = \eta\, d_t\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t},\quad "
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, d_t g_t,\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, d_t^2 g_t^2,\quad "
        r"s_t = \beta_3 s_{t-1} + \tfrac{d_t}{d_0}\hat\eta_t\, g_t,\quad "
        r"r_t = \beta_3 r_{t-1} + \tfrac{d_t}{d_0}\hat\eta_t\,\langle g_t, p_0 - p_t\rangle,"
        r"\quad d_{t+1} = \max\!\left(d_t,\ c\,\frac{r_t}{\|s_t\|_1}\right),\quad "
        r"p_{t+1} = p_t - \hat\eta_t\left(\frac{m_t}{\sqrt{v_t} + d_{t+1}\varepsilon}"
        r" + \lambda p_t\right)",
        reference="Mishchenko & Defazio, Prodigy: an expeditiously adaptive parameter-free "
        "learner (ICML 2024); optax.contrib.prodigy",
        notes="d_t estimates the distance to the solution, starting from d₀ and only "
        "growing. optax follows the authors' PyTorch code: the bias correction sits in η̂_t, "
        "the (1−β₃) weights of the paper's r_t and s_t cancel in their ratio and are "
        "dropped, ε is scaled by the new estimate d_{t+1}, β₃ = √β₂ (optax's default, "
        "fixed here) and safeguard_warmup is off. "
        "optax's betas tuple is split into the β₁ and β₂ sliders.",
        anatomy=Anatomy(moments=(Moment("m", "exp_avg"), Moment("v", "exp_avg_sq")),
                        momentum="m"),
        script=recipes.recipe_script(recipes.prodigy),
    ),
    OptimizerSpec(
        slug="dadapt_adamw", name="D-Adaptation AdamW", factory=recipes.dadapt_adamw,
        family="parameter-free",
        hparams={"learning_rate": _lr_multiplier(), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-8),
                 "estim_lr0": HParam(1e-6, 1e-10, 1.0, log=True, label="initial estimate d₀"),
                 "weight_decay": _decay(0.0)},
        latex=r"\hat\eta_t = \eta\, d_t\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t},\quad "
        r"r_t = \sqrt{\beta_2}\, r_{t-1} + (1-\sqrt{\beta_2})\,\hat\eta_t\left\langle g_t, "
        r"\frac{s_{t-1}}{\sqrt{v_{t-1}}+\varepsilon}\right\rangle,\quad "
        r"s_t = \sqrt{\beta_2}\, s_{t-1} + (1-\sqrt{\beta_2})\,\hat\eta_t g_t,\quad "
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\,\hat\eta_t g_t,\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\quad "
        r"p_{t+1} = p_t - \frac{m_t}{\sqrt{v_t}+\varepsilon} - \lambda\hat\eta_t p_t,\quad "
        r"d_{t+1} = \max\!\left(d_t,\ \frac{r_t}{(1-\sqrt{\beta_2})\,\|s_t\|_1}\right)",
        reference="Defazio & Mishchenko, Learning-rate-free learning by D-Adaptation "
        "(ICML 2023), its Adam variant; optax.contrib.dadapt_adamw",
        notes="The step size η̂_t enters m_t itself (so earlier small steps stay small in "
        "the average). d_t starts at d₀ and only grows; the first update leaves it there "
        "(s₀ = 0). optax's betas tuple is split into the β₁ and β₂ sliders.",
        anatomy=Anatomy(moments=(Moment("m", "exp_avg"), Moment("v", "exp_avg_sq")),
                        momentum="m"),
        script=recipes.recipe_script(recipes.dadapt_adamw),
    ),
    OptimizerSpec(
        slug="dog", name="DoG", factory=recipes.dog, family="parameter-free",
        hparams={"learning_rate": _lr_multiplier(),
                 "init_step_value": HParam(1e-6, 1e-10, 1.0, log=True,
                                           label="initial distance r_ε/(1+‖p₀‖)"),
                 "eps": _eps(1e-8), "weight_decay": _decay(0.0)},
        latex=r"\bar r_t = \max\!\left(r_\varepsilon,\ \max_{i\le t}\|p_i - p_0\|\right),\ "
        r"r_\varepsilon = \rho\,(1+\|p_0\|),\quad G_t = \sum_{i\le t}\|g_i\|^2,\quad "
        r"p_{t+1} = p_t - \eta\,\frac{\bar r_t}{\sqrt{G_t+\varepsilon}}\, g_t",
        reference="Ivgi, Hinder & Carmon, DoG is SGD's best friend: a parameter-free "
        "dynamic step size schedule (ICML 2023); optax.contrib.dog",
        notes="One step size for both coordinates: the largest distance travelled over "
        "the root of the summed squared gradient norms. optax's init_step is fixed at its "
        "default kind, \"heuristic\" (r_ε = ρ(1+‖p₀‖), ρ the slider); the \"distance\" and "
        "\"learning_rate\" kinds are not offered. With λ > 0, g_t is g_t + λp_t "
        "(optax's default, no decay, is λ = 0).",
        script=recipes.recipe_script(recipes.dog),
    ),
    OptimizerSpec(
        slug="dowg", name="DoWG", factory=optax.contrib.dowg, family="parameter-free",
        hparams={"learning_rate": _lr_multiplier(), "eps": _eps(1e-4),
                 "weight_decay": _decay(0.0)},
        latex=r"\bar r_t^2 = \max\!\left(\bar r_{t-1}^2,\ \|p_t - p_0\|^2\right),\ "
        r"\bar r_0^2 = \varepsilon,\quad "
        r"v_t = v_{t-1} + \bar r_t^2\,\|g_t\|^2,\quad "
        r"p_{t+1} = p_t - \eta\,\frac{\bar r_t^2}{\sqrt{v_t}+\varepsilon}\, g_t",
        reference="Khaled, Mishchenko & Jin, DoWG unleashed: an efficient universal "
        "parameter-free gradient descent method (NeurIPS 2023); optax.contrib.dowg",
        notes="Distance over weighted gradients: recent gradients weigh more as the "
        "distance estimate grows. optax's init_estim_sq_dist is left at its default, None, "
        "which starts r̄² at ε. With λ > 0, g_t is g_t + λp_t (optax's default, no decay, "
        "is λ = 0).",
    ),
    OptimizerSpec(
        slug="cocob", name="COCOB", factory=optax.contrib.cocob, family="parameter-free",
        hparams={"learning_rate": _lr_multiplier(),
                 "alpha": HParam(100.0, 1.0, 1000.0, log=True, label="α"),
                 "eps": _eps(1e-8), "weight_decay": _decay(0.0)},
        latex=r"\tilde g_t = \eta\,(g_t + \lambda p_t),\quad "
        r"L_t = \max(L_{t-1}, |\tilde g_t|),\ L_0 = \varepsilon,\quad "
        r"G_t = G_{t-1} + |\tilde g_t|,\quad "
        r"R_t = \max\!\left(R_{t-1} - \tilde g_t\,(p_t - p_0),\ 0\right),\quad "
        r"\theta_t = \theta_{t-1} - \tilde g_t,\quad "
        r"p_{t+1} = p_0 + \frac{\theta_t\,(L_t + R_t)}{L_t\,\max(G_t + L_t,\ \alpha L_t)}",
        reference="Orabona & Tommasi, Training deep networks without learning rates "
        "through coin betting (NeurIPS 2017), COCOB-Backprop; "
        "optax.contrib.cocob",
        notes="Each coordinate bets a fraction of its winnings R_t on the sign of the "
        "summed negative gradient θ_t: no step size at all. η scales the gradient before "
        "the bet (optax), which only rescales L, G, R and θ together. α caps the first "
        "bets at about θ/(αL²).",
    ),
    # -- adaptive: per-coordinate (or per-layer) scaling ----------------------------
    OptimizerSpec(
        slug="adopt", name="ADOPT", factory=recipes.adopt, family="adaptive",
        hparams={"learning_rate": _lr(0.3), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.9999, "β₂"), "eps": _eps(1e-6)},
        latex=r"v_0 = g_0^2,\quad "
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\,\operatorname{clip}\!\left("
        r"\frac{g_t}{\max(\sqrt{v_{t-1}}, \varepsilon)},\ t^{1/4}\right),\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2,\quad p_{t+1} = p_t - \eta\, m_t",
        reference="Taniguchi et al., ADOPT: modified Adam can converge with any β₂ with "
        "the optimal rate (NeurIPS 2024); optax.contrib.adopt",
        notes="The gradient is normalized by the previous v, never one that contains it, "
        "and only then averaged into m. The first update only sets v₀ = g₀²: the point "
        "does not move. optax counts t from 0 at that first update, so the clip of the "
        "k-th move is k^¼ (clip_value_fn, a callable, fixed at optax's default; no "
        "Nesterov). No bias correction.",
        anatomy=FIRST_MOMENT,
        script=recipes.recipe_script(recipes.adopt),
    ),
    OptimizerSpec(
        slug="ademamix", name="AdEMAMix", factory=optax.contrib.ademamix, family="adaptive",
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "b3": _beta(0.9999, "β₃ (slow)"),
                 "alpha": HParam(5.0, 0.0, 20.0, label="mix α"),
                 "eps": _eps(1e-8), "weight_decay": _decay(0.0)},
        latex=r"m^{(1)}_t = \beta_1 m^{(1)}_{t-1} + (1-\beta_1) g_t,\quad "
        r"m^{(2)}_t = \beta_3 m^{(2)}_{t-1} + (1-\beta_3) g_t,\quad "
        r"\nu_t = \beta_2 \nu_{t-1} + (1-\beta_2) g_t^2,\quad "
        r"p_{t+1} = p_t - \eta\left(\frac{m^{(1)}_t/(1-\beta_1^t) + \alpha\, m^{(2)}_t}"
        r"{\sqrt{\nu_t/(1-\beta_2^t)}+\varepsilon} + \lambda p_t\right)",
        reference="Pagliardini, Ablin & Grangier, The AdEMAMix optimizer: better, faster, "
        "older (ICLR 2025); optax.contrib.ademamix",
        notes="A second, slow first moment (β₃ near 1, not bias-corrected) remembers "
        "gradients thousands of steps old. The paper warms α and β₃ up with schedulers; "
        "optax's alias takes them as constants (as here), so the slow moment starts at 0 "
        "and grows in over ~1/(1−β₃) steps. The decay is decoupled, as AdamW's.",
        anatomy=Anatomy(moments=(Moment("m₁", "m1"), Moment("m₂", "m2"), Moment("ν", "nu")),
                        momentum="m₁"),
    ),
    OptimizerSpec(
        slug="lamb", name="LAMB", factory=optax.lamb, family="adaptive",
        hparams={"learning_rate": _lr(0.01), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.999, "β₂"), "eps": _eps(1e-6), "weight_decay": _decay(0.0)},
        latex=_ADAM_RULE + r"u_t = \frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon} + \lambda p_t,"
        r"\quad p_{t+1} = p_t - \eta\,\frac{\|p_t\|}{\|u_t\|}\, u_t",
        reference="You et al., Large batch optimization for deep learning: training BERT "
        "in 76 minutes (ICLR 2020); optax.lamb",
        notes="The trust ratio ‖p‖/‖u‖ is taken per layer; here the whole point is one "
        "layer, so every step has length η‖p_t‖ (the ratio is 1 where either norm is 0, "
        "and the paper's scaling function φ is the identity). Steps shrink near the "
        "origin and grow far from it.",
        anatomy=LayerwiseAdamMoments(),
    ),
    OptimizerSpec(
        slug="lars", name="LARS", factory=optax.lars, family="adaptive",
        hparams={"learning_rate": _lr(1.0), "weight_decay": _decay(0.0),
                 "trust_coefficient": HParam(1e-3, 1e-5, 1.0, log=True,
                                             label="trust coefficient τ"),
                 "eps": HParam(0.0, 0.0, 1.0, label="ε"),
                 "momentum": _beta(0.9, "momentum β")},
        latex=r"\hat g_t = g_t + \lambda p_t,\quad "
        r"v_t = \beta v_{t-1} + \eta\,\frac{\tau\,\|p_t\|}{\|\hat g_t\| + \varepsilon}\,\hat g_t,"
        r"\quad p_{t+1} = p_t - v_t",
        reference="You, Gitman & Ginsburg, Large batch training of convolutional networks "
        "(arXiv:1708.03888, 2017); optax.lars",
        notes="The trust ratio τ‖p‖/‖ĝ‖ is per layer; here the whole point is one layer, "
        "so the step before momentum has length ητ‖p_t‖ (ratio 1 where either norm is 0). "
        "optax applies the learning rate before the momentum trace (no (1−β) factor).",
        anatomy=Anatomy(moments=(Moment("v", "trace"),), momentum="v"),
    ),
    OptimizerSpec(
        slug="novograd", name="NovoGrad", factory=optax.novograd, family="adaptive",
        hparams={"learning_rate": _lr(0.01), "b1": _beta(0.9, "β₁"),
                 "b2": _beta(0.25, "β₂"), "eps": _eps(1e-6), "weight_decay": _decay(0.0)},
        latex=r"\nu_1 = \|g_1\|^2,\ \nu_t = \beta_2\nu_{t-1} + (1-\beta_2)\|g_t\|^2,\quad "
        r"m_1 = \frac{g_1}{\sqrt{\nu_1}+\varepsilon} + \lambda p_1,\ "
        r"m_t = \beta_1 m_{t-1} + \frac{g_t}{\sqrt{\nu_t}+\varepsilon} + \lambda p_t,\quad "
        r"p_{t+1} = p_t - \eta\, m_t",
        reference="Ginsburg et al., Stochastic gradient methods with layer-wise adaptive "
        "moments for training of deep networks (arXiv:1905.11286, 2019); optax.novograd",
        notes="The second moment is one number per layer (here the whole point), the "
        "squared gradient norm: the gradient is normalized, its direction kept. The first "
        "moment has no (1−β₁) factor, as in the paper: steps approach η/(1−β₁).",
        anatomy=FIRST_MOMENT,
    ),
    OptimizerSpec(
        slug="sm3", name="SM3", factory=optax.sm3, family="adaptive",
        hparams={"learning_rate": _lr(1.0), "momentum": _beta(0.9, "momentum β")},
        latex=r"G_t = G_{t-1} + g_t^2,\ G_0 = 0,\quad "
        r"m_t = \beta m_{t-1} + (1-\beta)\,\frac{g_t}{\sqrt{G_t + 10^{-8}}},\quad "
        r"p_{t+1} = p_t - \eta\, m_t",
        reference="Anil, Gupta, Koren & Singer, Memory-efficient adaptive optimization "
        "(NeurIPS 2019); optax.sm3",
        notes="SM3 keeps one accumulator per cover set (a row, a column) of a tensor and "
        "takes the minimum over the sets of each entry; on a vector each coordinate is its "
        "own set, so SM3 is exactly AdaGrad (from 0, ε = 10⁻⁸ inside the root) followed by "
        "momentum with a (1−β) factor.",
        anatomy=Anatomy(moments=(Moment("m", "nu"),), momentum="m"),
    ),
    OptimizerSpec(
        slug="adafactor", name="Adafactor", factory=recipes.adafactor, family="adaptive",
        hparams={"learning_rate": _lr(0.1, help="optax's default, None, means η = 1 (no "
                                      "scaling); ours suits the default scene."),
                 "decay_rate": HParam(0.8, 0.0, 1.0, label="decay exponent c"),
                 "clipping_threshold": HParam(1.0, 0.01, 100.0, log=True,
                                              label="clipping threshold d"),
                 "eps": HParam(1e-30, 1e-30, 1e-3, log=True, label="ε₁")},
        latex=r"\hat\beta_{2,t} = 1 - t^{-c},\quad "
        r"v_t = \hat\beta_{2,t} v_{t-1} + (1-\hat\beta_{2,t})(g_t^2 + \varepsilon_1),\quad "
        r"u_t = \frac{g_t}{\sqrt{v_t}},\quad "
        r"\hat u_t = \frac{u_t}{\max(1,\ \mathrm{RMS}(u_t)/d)},\quad "
        r"p_{t+1} = p_t - \eta\,\max(\mathrm{RMS}(p_t), 10^{-3})\,\hat u_t",
        reference="Shazeer & Stern, Adafactor: adaptive learning rates with sublinear "
        "memory cost (ICML 2018); optax.adafactor",
        notes="Adafactor factors the second moment of a matrix into row and column "
        "averages; a vector (the 2-D point) is never factored, so v is a per-coordinate "
        "average with the growing decay β̂₂ = 1 − t^(−c) (β̂₂ = 0 at t = 1). Fixed at optax's "
        "defaults: min_dim_size_to_factor = 128, factored, multiply_by_parameter_scale "
        "(the step scales with the parameters' RMS, at least 10⁻³), no momentum, no weight "
        "decay, decay_offset = 0. optax has no relative-step schedule: η is constant.",
        anatomy=Anatomy(moments=(Moment("v", "v"),)),
        script=recipes.recipe_script(recipes.adafactor),
    ),
    OptimizerSpec(
        slug="adan", name="Adan", factory=optax.adan, family="adaptive",
        hparams={"learning_rate": _lr(0.1), "b1": _beta(0.98, "β₁"),
                 "b2": _beta(0.92, "β₂"), "b3": _beta(0.99, "β₃"), "eps": _eps(1e-8),
                 "weight_decay": _decay(0.0)},
        latex=r"\Delta g_t = g_t - g_{t-1}\ (0 \text{ at } t=1),\quad "
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\Delta g_t,\quad "
        r"n_t = \beta_3 n_{t-1} + (1-\beta_3)\left(g_t + (1-\beta_2)\Delta g_t\right)^2,"
        r"\quad p_{t+1} = p_t - \eta\left(\frac{\hat m_t + (1-\beta_2)\hat v_t}"
        r"{\sqrt{\hat n_t + \varepsilon_{\text{root}}}+\varepsilon} + \lambda p_t\right)",
        reference="Xie, Zhou, Li, Lin & Yan, Adan: adaptive Nesterov momentum algorithm "
        "for faster optimizing deep models (IEEE TPAMI 2024); optax.adan",
        notes="optax's β's are 1 minus the paper's (0.02, 0.08, 0.01), and every moment "
        "is bias-corrected (hats: divided by 1 − βᵗ). ε_root = 10⁻⁸ (optax's default, "
        "fixed) sits inside the root. The paper decays the weights by dividing by 1 + λη; "
        "optax adds ηλp, as AdamW.",
        anatomy=Anatomy(moments=(Moment("m", "m"), Moment("v", "v"), Moment("n", "n")),
                        momentum="m"),
    ),
    OptimizerSpec(
        slug="madgrad", name="MADGRAD", factory=optax.contrib.madgrad, family="adaptive",
        hparams={"learning_rate": _lr(0.01), "momentum": _beta(0.9, "momentum β"),
                 "weight_decay": _decay(0.0), "eps": _eps(1e-6)},
        latex=r"\hat g_t = g_t + \lambda p_t,\quad \lambda_t = (\eta+\varepsilon)\sqrt{t},\quad "
        r"s_t = s_{t-1} + \lambda_t \hat g_t,\quad \nu_t = \nu_{t-1} + \lambda_t \hat g_t^2,"
        r"\quad z_{t+1} = p_0 - \frac{s_t}{\sqrt[3]{\nu_t}+\varepsilon},\quad "
        r"p_{t+1} = \beta\, p_t + (1-\beta)\, z_{t+1}",
        reference="Defazio & Jelassi, Adaptivity without compromise: a momentumized, "
        "adaptive, dual averaged gradient method for stochastic optimization (JMLR 23, "
        "2022); optax.contrib.madgrad",
        notes="Dual averaging: z is computed from the start p₀ and the weighted sum of all "
        "gradients, not from the current point; with the cube root (not the square root) "
        "a constant gradient g moves z away from p₀ in proportion to η^(2/3)·t·g^(1/3). "
        "The momentum β averages the iterates. optax adds ε to η in λ_t and the weight "
        "decay to the gradient (coupled).",
        anatomy=Anatomy(moments=(Moment("s", "s"), Moment("ν", "grad_sum_sq"))),
    ),
    OptimizerSpec(
        slug="fromage", name="Fromage", factory=optax.fromage, family="adaptive",
        hparams={"learning_rate": _lr(0.1),
                 "min_norm": HParam(1e-6, 1e-10, 1.0, log=True, label="minimum norm")},
        latex=r"p_{t+1} = \frac{1}{\sqrt{1+\eta^2}}\left(p_t - \eta\,"
        r"\frac{\|p_t\|}{\|g_t\|}\, g_t\right)",
        reference="Bernstein, Vahdat, Yue & Liu, On the distance between two neural "
        "networks and the stability of learning (NeurIPS 2020); optax.fromage",
        notes="Every step moves the point by a fixed fraction η of its own norm (per "
        "layer; here the whole point), then shrinks it by √(1+η²) so norms do not grow. "
        "optax floors both norms at min_norm.",
    ),
    # -- sign-based: only the sign of each coordinate's (averaged) gradient counts -----
    OptimizerSpec(
        slug="sign_sgd", name="signSGD", factory=optax.sign_sgd, family="sign-based",
        hparams={"learning_rate": _lr(0.01)},
        latex=r"p_{t+1} = p_t - \eta\,\operatorname{sign}(g_t)",
        reference="Bernstein, Wang, Azizzadenesheli & Anandkumar, signSGD: compressed "
        "optimisation for non-convex problems (ICML 2018); optax.sign_sgd",
        notes="Every coordinate moves by exactly ±η (0 where g = 0), whatever the "
        "gradient's size: it cannot settle closer to a minimum than about η.",
    ),
    OptimizerSpec(
        slug="signum", name="Signum", factory=optax.signum, family="sign-based",
        hparams={"learning_rate": _lr(0.01), "beta": _beta(0.9, "momentum β")},
        latex=r"m_t = \beta m_{t-1} + (1-\beta)\, g_t,\quad "
        r"p_{t+1} = p_t - \eta\,\operatorname{sign}(m_t)",
        reference="Bernstein, Wang, Azizzadenesheli & Anandkumar, signSGD: compressed "
        "optimisation for non-convex problems (ICML 2018), Signum; "
        "optax.signum",
        notes="signSGD on the momentum: the moment is not bias-corrected (its sign does "
        "not care). Lion differs in taking the sign of an interpolation of m and g.",
        anatomy=Anatomy(moments=(Moment("m", "ema"),), momentum="m"),
    ),
    OptimizerSpec(
        slug="rprop", name="Rprop", factory=optax.rprop, family="sign-based",
        hparams={"learning_rate": _lr(0.01, help="optax has no default: the initial step "
                                      "Δ₀ of every coordinate, read once (a schedule changes "
                                      "nothing after the first step); ours suits the default "
                                      "scene."),
                 "eta_minus": HParam(0.5, 0.01, 0.99, label="shrink η⁻"),
                 "eta_plus": HParam(1.2, 1.0, 3.0, label="growth η⁺"),
                 "min_step_size": HParam(1e-6, 1e-10, 1.0, log=True, label="Δ_min"),
                 "max_step_size": HParam(50.0, 1e-3, 1000.0, log=True, label="Δ_max")},
        latex=r"\sigma_t = g_t\, d_{t-1},\quad "
        r"\Delta_t = \begin{cases}\min(\eta^+\Delta_{t-1}, \Delta_{\max}) & \sigma_t > 0 \\ "
        r"\max(\eta^-\Delta_{t-1}, \Delta_{\min}) & \sigma_t < 0 \\ \Delta_{t-1} & "
        r"\sigma_t = 0\end{cases},\quad "
        r"d_t = \begin{cases} 0 & \sigma_t < 0 \\ \Delta_t \operatorname{sign}(g_t) & "
        r"\text{otherwise}\end{cases},\quad "
        r"p_{t+1} = p_t - \begin{cases} 0 & \sigma_t < 0 \\ d_{t-1} & \text{otherwise}"
        r"\end{cases},\quad \Delta_0 = \eta,\ d_0 = 0",
        reference="Riedmiller & Braun, A direct adaptive method for faster backpropagation "
        "learning: the RPROP algorithm (IEEE ICNN 1993); Igel & Hüsken, Improving the "
        "Rprop learning algorithm (NC 2000) for the iRprop⁻ variant; optax.rprop",
        notes="Per coordinate, the step size grows by η⁺ while the gradient keeps its sign "
        "and shrinks by η⁻ when it flips; after a flip the step is skipped and the next "
        "comparison starts afresh (iRprop⁻). optax 0.2.8 applies each step one update "
        "late: update t moves by d_{t−1}, the step chosen at the previous update (the "
        "first update does not move), unless the sign has just flipped.",
        anatomy=Anatomy(moments=(Moment("Δ", "step_sizes", "learning_rate"),)),
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


def markdown_table() -> str:
    """The README's optimizer table, grouped by family in the picker's order (a test
    checks that the README holds exactly this)."""
    rows = ["| family | slug | optimizer | hyperparameters (default) | reference |",
            "|---|---|---|---|---|"]
    for family in FAMILY_NAMES:
        for slug, spec in OPTIMIZERS.items():
            if spec.family == family:
                defaults = ", ".join(f"`{k}`={hp.default:g}" for k, hp in spec.hparams.items())
                paper = spec.reference.split(";")[0]
                rows.append(f"| {family} | `{slug}` | {spec.name} | {defaults} | {paper} |")
    return "\n".join(rows)
