"""Seeing inside the optimizers at one animation frame: arrows on the contour, the
per-coordinate effective learning rate, the local curvature and the update rule with
this step's numbers filled in.

Input is ``compute_inside.Insides`` (numpy: optax's own state, recorded gradients,
Hessians); nothing here calls JAX. Everything is drawn for one frame, chosen on the
server (the Scene's ``frame``), as layout annotations and shapes: the animation's frames
never touch them (a trace on the map would need an update in every frame, see
views/race.py), so they stay put while the markers play.

At frame j the markers stand at path step k = ``frame_steps[j]``; what is shown is update
k, the one that leaves that point (the last frame shows the last update). Conventions
are optax's (optimizers/catalog.py): ``g`` is the gradient the update saw (noise
included), ``ĝ`` the same after ``clip_by_global_norm``, and optax's count t = k + 1 is
the exponent of the bias corrections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from compute import Insides, RunInside
from optimizers import OPTIMIZERS
from optimizers.anatomy import Update
from views.style import style_of

#: Display lengths, as fractions of the shorter side of the domain.
DIRECTION_LENGTH = 0.16
MIN_STEP_LENGTH = 0.035
MAX_STEP_LENGTH = 0.45
GRADIENT_COLOR = "#111111"
FIELD_COLOR = "rgba(255,255,255,0.6)"
CURVATURE_COLOR = "#7a0177"


def update_index(steps: int, at: int) -> int:
    """The update shown when the markers stand at path step ``at``."""
    return int(min(max(at, 0), steps - 1))


@dataclass(frozen=True)
class Numbers:
    """Update ``k`` of one run, every number a student is shown (numpy, float32).

    ``multiplier = step / (−ĝ)``: what the update actually multiplied each coordinate of
    the (clipped) negative gradient by. ``eta_eff``: the per-coordinate learning rate
    the optimizer's state implies (η_t for SGD, η_t/(√v̂+ε) for Adam,
    η_t/√(ν+ε) for RMSProp, η_t/√(G+ε) for AdaGrad; ``None`` where there is no such
    single factor). ``moments``: the state after the update (m, v, m̂, v̂, velocity, G,
    ν, ...), ``previous``: the same state before it.
    """

    k: int
    t: int
    point: np.ndarray
    next_point: np.ndarray
    g: np.ndarray
    g_used: np.ndarray
    clipped: bool
    step: np.ndarray
    multiplier: np.ndarray
    eta: float
    eta_eff: np.ndarray | None
    moments: dict[str, np.ndarray] = field(default_factory=dict)
    previous: dict[str, np.ndarray] = field(default_factory=dict)
    hparams: dict[str, float] = field(default_factory=dict)
    live: bool = True  # False once the run has diverged (the point is frozen)


def _clip(g: np.ndarray, clip_norm: float | None) -> tuple[np.ndarray, bool]:
    """optax.clip_by_global_norm, in float32."""
    if clip_norm is None:
        return g, False
    norm = np.float32(np.sqrt(np.sum(g.astype(np.float32) ** 2)))
    if norm < np.float32(clip_norm):
        return g, False
    return (g / norm * np.float32(clip_norm)).astype(np.float32), True


def _moments(run: RunInside, k: int, hparams) -> tuple[dict, dict]:
    """The shown moments of ``run`` after update ``k`` and before it, by label."""
    after, before = {}, {}
    for moment in OPTIMIZERS[run.slug].anatomy.moments:
        if moment.leaf not in run.state:
            continue
        series = run.state[moment.leaf]
        after[moment.label] = series[k]
        before[moment.label] = series[k - 1] if k > 0 else moment.start(hparams)
    return after, before


def update_of(run: RunInside, k: int, clip_norm: float | None) -> Update:
    """Update ``k`` of ``run`` as its optimizer's anatomy reads it."""
    g_used, clipped = _clip(run.gradient[k].astype(np.float32), clip_norm)
    hp = {name: np.float32(v) for name, v in run.hparams.items()}
    after, before = _moments(run, k, hp)
    return Update(t=k + 1, eta=np.float32(run.learning_rate[k]), g=g_used,
                  gradient_symbol=r"\hat g_t" if clipped else "g_t", state=after,
                  previous=before, hparams=hp, point=run.path[k],
                  next_point=run.path[k + 1], step=run.step[k].astype(np.float32))


def numbers(run: RunInside, k: int, clip_norm: float | None) -> Numbers:
    """Every number of update ``k`` of ``run`` (see :class:`Numbers`)."""
    g = run.gradient[k].astype(np.float32)
    u = update_of(run, k, clip_norm)
    anatomy = OPTIMIZERS[run.slug].anatomy
    with np.errstate(divide="ignore", invalid="ignore"):
        multiplier = np.where(u.g != 0, u.step / -u.g, np.nan).astype(np.float32)
    values = anatomy.values(u)
    live = run.diverged_at is None or k < run.diverged_at
    return Numbers(k=k, t=u.t, point=u.point, next_point=u.next_point, g=g, g_used=u.g,
                   clipped=u.gradient_symbol != "g_t", step=u.step, multiplier=multiplier,
                   eta=float(u.eta), eta_eff=anatomy.effective_lr(u, values), moments=values,
                   previous=dict(u.previous), hparams={n: float(v) for n, v in u.hparams.items()},
                   live=live)


# -- arrows on the contour ------------------------------------------------------------


@dataclass(frozen=True)
class Arrow:
    """One arrow: ``vector`` in data units (the true one), drawn from ``origin`` to
    ``origin + scale * vector``."""

    kind: str  # "gradient", "momentum" or "step"
    racer: str  # the racer's key, r1, r2, …
    origin: tuple[float, float]
    vector: tuple[float, float]
    scale: float
    label: str

    @property
    def tip(self) -> tuple[float, float]:
        return (self.origin[0] + self.scale * self.vector[0],
                self.origin[1] + self.scale * self.vector[1])


def _span(domain) -> float:
    (x0, x1), (y0, y1) = domain
    return float(min(x1 - x0, y1 - y0))


def momentum_vector(run: RunInside, k: int) -> tuple[np.ndarray, str] | None:
    """The momentum the update carried, as the direction it pushes (−v or −m)."""
    anatomy = OPTIMIZERS[run.slug].anatomy
    leaf = {m.label: m.leaf for m in anatomy.moments}.get(anatomy.momentum)
    if leaf is None or leaf not in run.state:
        return None
    return -run.state[leaf][k], f"−{anatomy.momentum}"


def arrows(run: RunInside, k: int, domain) -> list[Arrow]:
    """The arrows of update ``k``: −∇f (where the gradient was taken at the drawn point)
    and the momentum (same scale, so their lengths compare, the longer one drawn
    ``DIRECTION_LENGTH`` long) and the step, to scale
    unless too short or too long to read (then its label says by how much it is
    magnified or shrunk)."""
    if run.diverged_at is not None and k >= run.diverged_at:
        return []
    span = _span(domain)
    origin = (float(run.path[k, 0]), float(run.path[k, 1]))
    out: list[Arrow] = []
    # An optimizer that draws another point than it iterates (schedule-free's x,
    # Lookahead's slow weights) took its gradient elsewhere: no −∇f at the drawn point.
    neg_g = (-run.gradient[k].astype(np.float64) if OPTIMIZERS[run.slug].shown is None
             else None)
    mom = momentum_vector(run, k)
    lengths = [] if neg_g is None else [float(np.hypot(*neg_g))]
    if mom is not None:
        lengths.append(float(np.hypot(*np.asarray(mom[0], np.float64))))
    longest = max(lengths, default=0.0)
    if np.isfinite(longest) and longest > 0:
        scale = DIRECTION_LENGTH * span / longest
        if neg_g is not None:
            out.append(Arrow("gradient", run.key, origin, tuple(neg_g.tolist()), scale,
                             "−∇f"))
        if mom is not None and np.hypot(*mom[0]) > 0:
            out.append(Arrow("momentum", run.key, origin,
                             tuple(np.asarray(mom[0], np.float64).tolist()), scale, mom[1]))
    step = run.step[k].astype(np.float64)
    length = float(np.hypot(*step))
    if length > 0 and np.isfinite(length):
        scale = float(np.clip(length, MIN_STEP_LENGTH * span, MAX_STEP_LENGTH * span)) / length
        label = "step" if math.isclose(scale, 1.0) else f"step ×{scale:.3g}"
        out.append(Arrow("step", run.key, origin, tuple(step.tolist()), scale, label))
    return out


def _arrow_annotation(arrow: Arrow, color: str, width: float, fs: float) -> dict:
    x, y = arrow.tip
    return {"x": x, "y": y, "ax": arrow.origin[0], "ay": arrow.origin[1], "xref": "x",
            "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
            "arrowhead": 2, "arrowsize": 1.0, "arrowwidth": width * fs, "arrowcolor": color,
            "standoff": 0, "startstandoff": 0, "name": f"{arrow.racer}.{arrow.kind}"}


def _label_annotation(arrow: Arrow, color: str, fs: float) -> dict:
    x, y = arrow.tip
    dx, dy = arrow.scale * np.asarray(arrow.vector)
    norm = float(np.hypot(dx, dy)) or 1.0
    return {"x": x, "y": y, "xref": "x", "yref": "y", "text": arrow.label,
            "showarrow": False, "xshift": 14 * fs * dx / norm, "yshift": 14 * fs * dy / norm,
            "font": {"size": 12 * fs, "color": color}, "bgcolor": "rgba(255,255,255,0.7)",
            "borderpad": 1, "name": f"{arrow.racer}.{arrow.kind}.label"}


def _field_shape(insides: Insides, domain) -> dict | None:
    """The gradient field as one path shape: a short −∇f segment (with a small head)
    at each grid point, every one the same length (directions only)."""
    span = _span(domain)
    n = insides.field_x.size
    length = 0.45 * span / max(n, 1)
    parts = []
    for iy, y in enumerate(insides.field_y):
        for ix, x in enumerate(insides.field_x):
            g = insides.field[iy, ix].astype(np.float64)
            norm = float(np.hypot(*g))
            if not np.isfinite(norm) or norm == 0:
                continue
            ux, uy = -g / norm
            x0, y0 = x - 0.5 * length * ux, y - 0.5 * length * uy
            x1, y1 = x + 0.5 * length * ux, y + 0.5 * length * uy
            # the head: two short strokes back from the tip, ±25°
            h = 0.35 * length
            c, s = math.cos(math.radians(25)), math.sin(math.radians(25))
            hx1, hy1 = x1 - h * (c * ux - s * uy), y1 - h * (s * ux + c * uy)
            hx2, hy2 = x1 - h * (c * ux + s * uy), y1 - h * (-s * ux + c * uy)
            parts.append(f"M{x0:.4g},{y0:.4g}L{x1:.4g},{y1:.4g}"
                         f"M{hx1:.4g},{hy1:.4g}L{x1:.4g},{y1:.4g}L{hx2:.4g},{hy2:.4g}")
    if not parts:
        return None
    return {"type": "path", "path": "".join(parts), "xref": "x", "yref": "y",
            "line": {"color": FIELD_COLOR, "width": 1}, "layer": "above",
            "name": "gradient field"}


def curvature_overlay(run: RunInside, at: int, domain, fs: float) -> tuple[list, list]:
    """Shapes and labels for the Hessian's eigenvectors at path step ``at`` of ``run``:
    one segment per eigenvector through the point (the stiffest one solid), and the
    largest stable learning rate of gradient descent there, 2/λmax."""
    point = run.path[at].astype(np.float64)
    values, vectors = run.curvature[at], run.directions[at]
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(vectors))):
        return [], []
    half = 0.5 * DIRECTION_LENGTH * _span(domain)
    shapes, labels = [], []
    for i in (1, 0):
        u = vectors[:, i].astype(np.float64)
        if u[1] < 0 or (u[1] == 0 and u[0] < 0):
            u = -u  # eigh's sign is arbitrary: label the upper (or right) end
        a, b = point - half * u, point + half * u
        shapes.append({"type": "line", "xref": "x", "yref": "y", "x0": a[0], "y0": a[1],
                       "x1": b[0], "y1": b[1], "layer": "above",
                       "line": {"color": CURVATURE_COLOR, "width": 2 * fs,
                                "dash": "solid" if i == 1 else "dot"},
                       "name": f"curvature.{i}"})
        text = f"λ{'₂' if i == 1 else '₁'} = {values[i]:.3g}"
        if i == 1:
            text += f"  ({stability_text(float(values[1]))})"
        labels.append({"x": b[0], "y": b[1], "xref": "x", "yref": "y", "showarrow": False,
                       "text": text, "font": {"size": 11 * fs, "color": CURVATURE_COLOR},
                       "bgcolor": "rgba(255,255,255,0.75)", "xanchor": "left",
                       "yanchor": "bottom" if i == 1 else "middle",
                       "name": f"curvature.{i}.label"})
    return shapes, labels


def stability_text(lam_max: float) -> str:
    if lam_max > 0:
        return f"2/λmax = {2.0 / lam_max:.3g}"
    return "no positive curvature here"


def overlay_layout(insides: Insides, domain, at: int, font_scale: float = 1.0) -> dict:
    """Annotations and shapes (layout entries) of every racer's update at path step
    ``at``: arrows and their labels, the first racer's curvature, the gradient field."""
    fs = font_scale
    annotations: list[dict] = []
    shapes: list[dict] = []
    field_shape = _field_shape(insides, domain)
    if field_shape is not None:
        shapes.append(field_shape)
    for i, run in enumerate(insides.runs):
        k = update_index(run.steps, at)
        color = style_of(i)["color"]
        for arrow in arrows(run, k, domain):
            c, w = {"gradient": (GRADIENT_COLOR, 1.8), "momentum": (color, 1.8),
                    "step": (color, 2.8)}[arrow.kind]
            annotations.append(_arrow_annotation(arrow, c, w, fs))
            annotations.append(_label_annotation(arrow, c, fs))
    if insides.runs:
        first = insides.runs[0]
        end = first.diverged_at if first.diverged_at is not None else first.steps
        s, labels = curvature_overlay(first, min(at, end), domain, fs)
        shapes += s
        annotations += labels
    return {"annotations": annotations, "shapes": shapes}


# -- the table --------------------------------------------------------------------------


def _g(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.4g}"


def table_rows(insides: Insides, at: int) -> list[dict[str, str]]:
    """One row per racer and coordinate: the gradient, the step, the multiplier the
    update applied to −ĝ, the effective learning rate the state implies, the state."""
    rows = []
    g_hat = "ĝ" if insides.clip_norm else "g"
    for run in insides.runs:
        k = update_index(run.steps, at)
        n = numbers(run, k, insides.clip_norm)
        lam = run.curvature[k]
        for i, coord in enumerate("xy"):
            state = ", ".join(f"{name} = {_g(float(value[i]))}"
                              for name, value in n.moments.items())
            rows.append({
                "optimizer": run.name if i == 0 else "",
                "coordinate": coord,
                "g (gradient seen)": _g(float(n.g[i])),
                **({"ĝ (clipped)": _g(float(n.g_used[i]))} if insides.clip_norm else {}),
                "step": _g(float(n.step[i])),
                f"step ÷ (−{g_hat})": _g(float(n.multiplier[i])),
                "η_eff from the state": "—" if n.eta_eff is None else _g(float(n.eta_eff[i])),
                "state after the update": state or "—",
                "curvature": (f"λ = {_g(float(lam[0]))}, {_g(float(lam[1]))}" if i == 0
                              else stability_text(float(lam[1]))),
            })
        if not n.live:
            rows[-2]["optimizer"] += f" (diverged at step {run.diverged_at})"
    return rows


# -- the update rule with this step's numbers ----------------------------------------------


def tex_number(value: float) -> str:
    """A number for KaTeX: 4 significant digits, powers of ten written out."""
    v = float(value)
    if not np.isfinite(v):
        return r"\infty" if v > 0 else (r"-\infty" if v < 0 else r"\text{NaN}")
    if v == 0:
        return "0"
    text = f"{v:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else (
            "-" + power if mantissa == "-1" else rf"{mantissa}\cdot {power}")
    return text


def tex_vector(v) -> str:
    a, b = (tex_number(x) for x in np.asarray(v).ravel()[:2])
    return rf"\begin{{pmatrix}}{a}\\ {b}\end{{pmatrix}}"


class _Tex:
    """Numbers as the live rule writes them."""

    number = staticmethod(tex_number)
    vector = staticmethod(tex_vector)


def live_rule(run: RunInside, k: int, clip_norm: float | None) -> str:
    """The update rule of ``run`` (optax's, as in the catalogue) with update ``k``'s
    numbers filled in, as one KaTeX ``aligned`` block."""
    u = update_of(run, k, clip_norm)
    anatomy = OPTIMIZERS[run.slug].anatomy
    V = tex_vector
    g = run.gradient[k].astype(np.float32)
    lines = [rf"g_t &= \nabla f(p_t) = {V(g)}"]
    if u.gradient_symbol != "g_t":
        lines.append(rf"\hat g_t &= g_t \cdot \frac{{{tex_number(clip_norm)}}}"
                     rf"{{\lVert g_t\rVert}} = {V(u.g)}")
    lines += anatomy.rule(u, anatomy.values(u), _Tex())
    header = rf"t = {u.t},\ \eta_t = {tex_number(u.eta)}"
    return r"\begin{aligned}" + rf"&{header}\\ " + r"\\ ".join(lines) + r"\end{aligned}"
