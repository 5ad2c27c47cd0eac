"""What is inside each optimizer, for the overlays that show it to a student: which parts
of optax's state to show, the momentum drawn as an arrow, the per-coordinate effective
learning rate the state implies, and the update rule with one step's numbers filled in.

Every catalogue entry names its ``Anatomy`` (optimizers/catalog.py); views/overlays.py
computes one recorded ``Update`` (numpy, float32, from ``look_inside``) and asks it. The
rules are optax's, as the catalogue writes them: ``g`` is the gradient the update used
(after clipping), and optax's count ``t`` (1 for the first update) is the exponent of
the bias corrections. Numbers are written by the ``Tex`` the view passes in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

f32 = np.float32


class Tex(Protocol):
    """How a view writes numbers into LaTeX."""

    def number(self, value: float) -> str: ...

    def vector(self, value) -> str: ...


class Update(NamedTuple):
    """One recorded update of one run (float32 numpy).

    ``state`` and ``previous`` are the shown moments after and before the update, by
    label (see ``Moment``); ``g`` is the gradient the update used, ``gradient_symbol``
    how the rule writes it (``g_t``, or ``\\hat g_t`` once clipped).
    """

    t: int
    eta: np.float32
    g: np.ndarray
    gradient_symbol: str
    state: Mapping[str, np.ndarray]
    previous: Mapping[str, np.ndarray]
    hparams: Mapping[str, np.float32]
    point: np.ndarray
    next_point: np.ndarray
    step: np.ndarray


@dataclass(frozen=True)
class Moment:
    """A part of an optimizer's state shown to a student: its symbol, its leaf in optax's
    state (as ``look_inside`` names it), and its value before the first update (a number,
    or the name of the hyperparameter that sets it)."""

    label: str
    leaf: str
    initial: float | str = 0.0

    def start(self, hparams: Mapping[str, float]) -> np.ndarray:
        value = hparams[self.initial] if isinstance(self.initial, str) else self.initial
        return np.full(2, value, dtype=f32)


@dataclass(frozen=True)
class Anatomy:
    """An optimizer seen from the step it took, ``p_{t+1} = p_t + Δp_t``: the default for
    one with nothing simpler to show (AdaDelta, Newton, L-BFGS)."""

    moments: tuple[Moment, ...] = ()
    #: the label of the moment drawn as the momentum arrow ("" for none)
    momentum: str = ""

    def values(self, u: Update) -> dict[str, np.ndarray]:
        """The moments after the update, and anything derived from them (by label)."""
        return dict(u.state)

    def effective_lr(self, u: Update, values: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """The per-coordinate learning rate the state implies (``None``: no such factor)."""
        return None

    def rule(self, u: Update, values: Mapping[str, np.ndarray], tex: Tex) -> list[str]:
        """The update rule with this update's numbers: ``aligned`` lines of LaTeX."""
        return [_step_line(u, tex)]


def _step_line(u: Update, tex: Tex) -> str:
    V = tex.vector
    return rf"p_{{t+1}} &= p_t + \Delta p_t = {V(u.point)} + {V(u.step)} = {V(u.next_point)}"


def _descent_line(u: Update, tex: Tex, rule: str, factor: str, vector) -> str:
    """``p_{t+1} = p_t - <rule> = p - <factor> <vector> = p_{t+1}``."""
    V = tex.vector
    return (rf"p_{{t+1}} &= p_t - {rule} = {V(u.point)} - {factor}{V(vector)}"
            rf" = {V(u.next_point)}")


@dataclass(frozen=True)
class GradientStep(Anatomy):
    """SGD: ``p ← p − η g``; the effective learning rate is η in every coordinate."""

    def effective_lr(self, u, values):
        return np.full(2, u.eta, dtype=f32)

    def rule(self, u, values, tex):
        return [_descent_line(u, tex, rf"\eta_t {u.gradient_symbol}",
                              rf"{tex.number(u.eta)}\,", u.g)]


@dataclass(frozen=True)
class Velocity(Anatomy):
    """Heavy ball and Nesterov (optax's trace ``v ← g + βv``): η scales the velocity, so
    there is no per-coordinate factor of g."""

    moments: tuple[Moment, ...] = (Moment("v", "trace"),)
    momentum: str = "v"
    nesterov: bool = False

    def rule(self, u, values, tex):
        V, g, beta = tex.vector, u.gradient_symbol, u.hparams["momentum"]
        v = values["v"]
        lines = [rf"v_t &= {g} + \beta v_{{t-1}} = {V(u.g)} + {tex.number(beta)}\,"
                 rf"{V(u.previous['v'])} = {V(v)}"]
        eta = rf"{tex.number(u.eta)}\,"
        if self.nesterov:
            look = u.g + f32(beta) * v
            lines.append(_descent_line(u, tex, rf"\eta_t ({g} + \beta v_t)", eta, look))
        else:
            lines.append(_descent_line(u, tex, r"\eta_t v_t", eta, v))
        return lines


@dataclass(frozen=True)
class Accumulator(Anatomy):
    """AdaGrad (``G ← G + g²``) or RMSProp (``ν ← ρν + (1−ρ)g²``, ``decay`` set): the step
    is ``η/√(acc + ε) ⊙ g``, so that factor is the effective learning rate."""

    decay: str = ""  # the hyperparameter of the moving average ("" for a plain sum)

    def effective_lr(self, u, values):
        acc = values[self.moments[0].label]
        eps = u.hparams["eps"]
        if self.decay:
            return (u.eta / np.sqrt(acc + eps)).astype(f32)
        with np.errstate(divide="ignore"):
            return np.where(acc > 0, u.eta / np.sqrt(acc + eps), 0).astype(f32)

    def rule(self, u, values, tex):
        V, N, g = tex.vector, tex.number, u.gradient_symbol
        label = self.moments[0].label
        acc, before, squared = values[label], u.previous[label], u.g ** 2
        sym = {"G": "G", "ν": r"\nu"}[label]
        if self.decay:
            rho = u.hparams[self.decay]
            first = (rf"{sym}_t &= \rho\,{sym}_{{t-1}} + (1-\rho)\,{g}^2 = {N(rho)}\,{V(before)}"
                     rf" + {N(1 - rho)}\,{V(squared)} = {V(acc)}")
        else:
            first = rf"{sym}_t &= {sym}_{{t-1}} + {g}^2 = {V(before)} + {V(squared)} = {V(acc)}"
        rule = rf"\frac{{\eta_t}}{{\sqrt{{{sym}_t + \varepsilon}}}}\odot {g}"
        eta_eff = self.effective_lr(u, values)
        return [first, _descent_line(u, tex, rule, rf"{V(eta_eff)} \odot ", u.g)]


@dataclass(frozen=True)
class AdamMoments(Anatomy):
    """Adam and its family: first and second moments, their bias corrections
    ``m̂ = m/(1−β₁ᵗ)``, ``v̂ = v/(1−β₂ᵗ)``, and ``η/(√v̂ + ε)`` (AMSGrad: of the running
    maximum ``ṽ``) as the effective learning rate. ``final`` says how the step is shown:
    ``"adam"``, ``"amsgrad"``, ``"adamw"`` (plus the decay ``λp``) or ``"step"`` (NAdam,
    whose step mixes m̂ with the fresh gradient: shown as taken)."""

    moments: tuple[Moment, ...] = (Moment("m", "mu"), Moment("v", "nu"))
    momentum: str = "m"
    final: str = "adam"

    def values(self, u):
        m, v = u.state["m"], u.state["v"]
        out = {"m": m, "v": v,
               "m̂": (m / (f32(1) - u.hparams["b1"] ** f32(u.t))).astype(f32),
               "v̂": (v / (f32(1) - u.hparams["b2"] ** f32(u.t))).astype(f32)}
        return {**out, **{k: x for k, x in u.state.items() if k not in out}}

    def _denominator(self, values):
        return values["ṽ"] if self.final == "amsgrad" else values["v̂"]

    def effective_lr(self, u, values):
        return (u.eta / (np.sqrt(self._denominator(values)) + u.hparams["eps"])).astype(f32)

    def rule(self, u, values, tex):
        V, N, g, t = tex.vector, tex.number, u.gradient_symbol, u.t
        b1, b2 = u.hparams["b1"], u.hparams["b2"]
        lines = [
            rf"m_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{g} = {N(b1)}\,{V(u.previous['m'])} + "
            rf"{N(1 - b1)}\,{V(u.g)} = {V(values['m'])}",
            rf"v_t &= \beta_2 v_{{t-1}} + (1-\beta_2)\,{g}^2 = {N(b2)}\,{V(u.previous['v'])} + "
            rf"{N(1 - b2)}\,{V(u.g ** 2)} = {V(values['v'])}",
            rf"\hat m_t &= \frac{{m_t}}{{1-\beta_1^{{t}}}} = \frac{{{V(values['m'])}}}"
            rf"{{1-{N(b1)}^{{{t}}}}} = {V(values['m̂'])},\quad "
            rf"\hat v_t = \frac{{v_t}}{{1-\beta_2^{{t}}}} = {V(values['v̂'])}",
        ]
        if self.final == "step":
            return [*lines, _step_line(u, tex)]
        direction = values["m̂"] / (np.sqrt(self._denominator(values)) + f32(u.hparams["eps"]))
        adam = r"\frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon}"
        eta = rf"{N(u.eta)}\,"
        if self.final == "adamw":
            direction = direction + f32(u.hparams["weight_decay"]) * u.point
            return [*lines, _descent_line(u, tex, rf"\eta_t\left({adam} + \lambda p_t\right)",
                                          eta, direction)]
        return [*lines, _descent_line(u, tex, rf"\eta_t\,{adam}", eta, direction)]


@dataclass(frozen=True)
class LayerwiseAdamMoments(AdamMoments):
    """LAMB: Adam's moments, then the whole step rescaled by the layer's trust ratio
    ``‖p‖/‖u‖`` (the 2-D point is one layer). That ratio is common to both coordinates
    and changes every step, so there is no per-coordinate factor of g to show: the step
    is shown as taken."""

    final: str = "step"

    def effective_lr(self, u, values):
        return None


@dataclass(frozen=True)
class SignedMomentum(Anatomy):
    """Lion: the step is the sign of an interpolation ``c`` of the moment and the
    gradient; the moment itself moves with ``β₂`` afterwards."""

    moments: tuple[Moment, ...] = (Moment("m", "mu"),)
    momentum: str = "m"

    def rule(self, u, values, tex):
        V, N, g = tex.vector, tex.number, u.gradient_symbol
        b1 = u.hparams["b1"]
        c = f32(b1) * u.previous["m"] + f32(1 - b1) * u.g
        decay = rf"\left({V(np.sign(c))} + {N(u.hparams['weight_decay'])}\,{V(u.point)}\right)"
        return [
            rf"c_t &= \beta_1 m_{{t-1}} + (1-\beta_1)\,{g} = {V(c)}",
            rf"p_{{t+1}} &= p_t - \eta_t\left(\operatorname{{sign}}(c_t) + \lambda p_t\right) = "
            rf"{V(u.point)} - {N(u.eta)}\,{decay} = {V(u.next_point)}",
            rf"m_t &= \beta_2 m_{{t-1}} + (1-\beta_2)\,{g} = {V(values['m'])}",
        ]


#: Optimizers shown by their step alone.
STEP_ONLY = Anatomy()
#: Optimizers with a first moment ``mu`` and no simpler rule to show: the moment is drawn
#: as the momentum arrow, the step as taken.
FIRST_MOMENT = Anatomy(moments=(Moment("m", "mu"),), momentum="m")
