"""Toy neural-network losses whose two parameters *are* the whole model.

Unlike a projected view of a large network (``landscapes/mlp.py``), the surface drawn
here is the true loss: every point of the plane is one complete model, so every
optimizer, sweep, basin map and share link works on these surfaces unchanged.

- ``tanh_unit``: one hidden tanh unit, ``ŷ = w₂·tanh(w₁·x)``, fitted by mean squared
  error to a noiseless teacher ``y = a·tanh(b·x)`` (a = 2, b = 1.5) on ``n = 64`` inputs
  ``x ~ U(-2, 2)``. Its two global minima are exact, ``(b, a)`` and ``(-b, -a)`` with
  loss 0 (``w₂ tanh(w₁x)`` is odd in ``(w₁, w₂)`` jointly), and the origin is a saddle:
  the gradient vanishes there and the Hessian is ``[[0, c], [c, 0]]`` with
  ``c = -2·mean(x·y) ≠ 0``.
- ``logistic``: logistic regression with two weights and no bias,
  ``P(class 1 | x) = σ(w₁x₁ + w₂x₂)``, on two overlapping Gaussian blobs (32 points each,
  centres ``±(0.6, 0.3)``, standard deviations 1.3 and 0.6 per axis). The classes
  overlap, so the data are not linearly separable and the minimum of the mean log-loss
  is finite; it has no closed form and is found by Newton's method in float64 (``derive``)
  for each data seed.

The data are drawn with ``jax.random`` from the landscape parameter ``seed`` inside the
loss, so a seed that arrives traced (a float, as every landscape parameter does in the
engine) works: it is converted with ``astype(int32)``. The generators are jitted (one
small program each, not dozens of eagerly compiled primitives). Draws are float32 in
every mode (the same numbers with or without ``jax_enable_x64``), then cast to the dtype
of ``p``.

Minibatch SGD: ``stochastic_loss(p, params, key)`` averages the per-example losses over
``batch_size`` examples chosen without replacement (a random permutation's first ranks),
through the same weighted mean as the exact loss, whose weights are all 1. Shapes stay
static while the batch size is traced; with ``batch_size = n`` the minibatch loss *is*
the full loss, so minibatch SGD with the full batch retraces full-batch gradient descent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from hparam import HParam
from landscapes.base import Landscape

#: Examples in each data set (static: shapes never depend on a parameter).
DATA_SIZE = 64
#: The teacher of the tanh unit, y = TEACHER_A · tanh(TEACHER_B · x).
TEACHER_A = 2.0
TEACHER_B = 1.5
X_RANGE = 2.0
#: The two Gaussian blobs of the logistic data: class ±1 centred at ±BLOB_MEAN.
BLOB_MEAN = (0.6, 0.3)
BLOB_STD = (1.3, 0.6)
SEEDS = 100
#: The bits of a 32-bit sort key above those that hold an example's index.
_HIGH_BITS = ~((1 << (DATA_SIZE - 1).bit_length()) - 1) & 0xFFFFFFFF


def _seed_key(seed) -> jax.Array:
    return jax.random.PRNGKey(jnp.asarray(seed).astype(jnp.int32))


def _dtype(p) -> Any:
    dtype = jnp.asarray(p).dtype
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.float32


@jax.jit
def tanh_inputs(seed) -> jax.Array:
    """The ``DATA_SIZE`` inputs x ~ U(-2, 2) of data set ``seed`` (float32)."""
    return jax.random.uniform(_seed_key(seed), (DATA_SIZE,), dtype=jnp.float32,
                              minval=-X_RANGE, maxval=X_RANGE)


@jax.jit
def blobs(seed) -> tuple[jax.Array, jax.Array]:
    """Data set ``seed`` of the logistic regression: points ``(DATA_SIZE, 2)`` and labels
    ``s = ±1`` (the first half +1), float32."""
    s = jnp.where(jnp.arange(DATA_SIZE) < DATA_SIZE // 2, 1.0, -1.0).astype(jnp.float32)
    z = jax.random.normal(_seed_key(seed), (DATA_SIZE, 2), dtype=jnp.float32)
    points = s[:, None] * jnp.asarray(BLOB_MEAN, jnp.float32) + z * jnp.asarray(
        BLOB_STD, jnp.float32)
    return points, s


def weighted_mean(losses, weights):
    """``Σ wᵢ ℓᵢ / Σ wᵢ`` over the last axis: the one reduction behind both the exact
    loss (all weights 1) and a minibatch's (weight 1 on the batch, 0 elsewhere)."""
    return jnp.sum(losses * weights, axis=-1) / jnp.sum(weights)


def batch_weights(key, batch_size, dtype=jnp.float32) -> jax.Array:
    """Weight 1 on ``batch_size`` examples drawn without replacement, 0 on the others.

    A random permutation by sorting random keys (as ``jax.random.permutation`` does):
    each example gets 32 random bits whose lowest ones are replaced by its index, so the
    keys are distinct, and the batch is the examples whose keys rank below the batch
    size: the mask ``key ≤ (batch_size-th smallest key)``. Shapes are static; the
    (traced) batch size only moves the threshold. It is clipped to ``[1, n]``. One sort,
    no scatter: it compiles faster than ``permutation`` followed by ranking.
    """
    bits = jax.random.bits(key, (DATA_SIZE,), dtype=jnp.uint32)
    keys = (bits & jnp.uint32(_HIGH_BITS)) | jnp.arange(DATA_SIZE, dtype=jnp.uint32)
    size = jnp.clip(jnp.round(batch_size), 1, DATA_SIZE).astype(jnp.int32)
    return (keys <= jnp.sort(keys)[size - 1]).astype(dtype)


def _full_weights(dtype) -> jax.Array:
    return jnp.ones(DATA_SIZE, dtype)


# -- the tanh unit ------------------------------------------------------------------------


def tanh_unit_examples(p, params):
    """Per-example squared errors ``(..., n)`` of ``ŷ = w₂ tanh(w₁ x)`` against the teacher."""
    dtype = _dtype(p)
    x = tanh_inputs(params["seed"]).astype(dtype)
    y = TEACHER_A * jnp.tanh(TEACHER_B * x)
    w1, w2 = p[0][..., None], p[1][..., None]
    return (w2 * jnp.tanh(w1 * x) - y) ** 2


def tanh_unit_loss(p, params):
    return weighted_mean(tanh_unit_examples(p, params), _full_weights(_dtype(p)))


def tanh_unit_minibatch(p, params, key):
    weights = batch_weights(key, params["batch_size"], _dtype(p))
    return weighted_mean(tanh_unit_examples(p, params), weights)


# -- logistic regression ------------------------------------------------------------------


def logistic_examples(p, params):
    """Per-example log-losses ``(..., n)``: ``log(1 + exp(-s·w·x))``, computed stably."""
    dtype = _dtype(p)
    points, s = blobs(params["seed"])
    points, s = points.astype(dtype), s.astype(dtype)
    margin = s * (p[0][..., None] * points[:, 0] + p[1][..., None] * points[:, 1])
    return jnp.logaddexp(0.0, -margin)


def logistic_loss(p, params):
    return weighted_mean(logistic_examples(p, params), _full_weights(_dtype(p)))


def logistic_minibatch(p, params, key):
    weights = batch_weights(key, params["batch_size"], _dtype(p))
    return weighted_mean(logistic_examples(p, params), weights)


@lru_cache(maxsize=SEEDS)
def logistic_minimum(seed: int) -> tuple[tuple[float, float], float]:
    """The minimizer and minimum of data set ``seed``'s mean log-loss: Newton's method in
    float64 from w = 0 (the loss is strictly convex, the data not separable), to 13
    significant digits."""
    points, s = (np.asarray(a, dtype=np.float64) for a in blobs(int(seed)))
    w = np.zeros(2)
    for _ in range(100):
        q = 1.0 / (1.0 + np.exp(s * (points @ w)))  # σ(-s w·x)
        grad = -(points * (s * q)[:, None]).mean(axis=0)
        hess = (points.T * (q * (1.0 - q))) @ points / DATA_SIZE
        step = np.linalg.solve(hess, grad)
        w = w - step
        if np.abs(step).max() < 1e-15:
            break
    value = float(np.logaddexp(0.0, -s * (points @ w)).mean())
    return (_settled(w[0]), _settled(w[1])), _settled(value)


def _settled(x: float) -> float:
    """``x`` to 13 significant digits: Newton has converged far beyond that, and the last
    bits of a float64 solve differ between machines' BLAS, which must not change a
    minimum that is shown, compared and compiled in."""
    return float(f"{float(x):.13g}")


def _logistic_derive(values: Mapping[str, float]) -> dict[str, Any]:
    minimum, value = logistic_minimum(int(values["seed"]))
    return {"minima": (minimum,), "min_value": value}


# -- the data panel -----------------------------------------------------------------------


@dataclass(frozen=True)
class DataPanel:
    """What a network's data panel draws, as numpy (float32).

    ``points (n, 2)``: the data (input and target for a curve fit, the two features for
    a classifier); ``labels (n,)``: class 0/1 or ``None``. ``fits (k, m, 2)``: for each of
    the ``k`` given parameter points, the model drawn as a polyline: the fitted curve
    ŷ(x), or the decision boundary's segment. ``regions (k, v, 2)``: the polygon where the
    classifier says class 1 (``None`` for a curve fit). ``reference (m, 2)``: the
    teacher's curve, or ``None``. ``box``: the panel's axis ranges.
    """

    kind: str  # "curve" or "boundary"
    title: str  # ``{name}`` stands for the optimizer whose model is drawn
    xlabel: str
    ylabel: str
    points: np.ndarray
    labels: np.ndarray | None
    fits: np.ndarray
    regions: np.ndarray | None
    reference: np.ndarray | None
    box: tuple[tuple[float, float], tuple[float, float]]


CURVE_POINTS = 81


def _tanh_panel(values: Mapping[str, float], at: np.ndarray) -> DataPanel:
    x = np.asarray(tanh_inputs(int(values["seed"])), dtype=np.float64)
    y = TEACHER_A * np.tanh(TEACHER_B * x)
    lim = X_RANGE * 1.1
    grid = np.linspace(-lim, lim, CURVE_POINTS)
    w = np.asarray(at, dtype=np.float64)
    fits = w[:, 1, None] * np.tanh(w[:, 0, None] * grid)
    reach = max(3.0, float(np.abs(fits).max()) if fits.size else 0.0)
    top = min(reach, 6.0) * 1.05
    return DataPanel(
        kind="curve", title="data ●, teacher ┈ and {name}'s fit ŷ(x) at this step",
        xlabel="x", ylabel="y",
        points=np.stack([x, y], axis=1).astype(np.float32), labels=None,
        fits=np.stack([np.broadcast_to(grid, fits.shape), np.clip(fits, -top, top)],
                      axis=-1).astype(np.float32),
        regions=None,
        reference=np.stack([grid, TEACHER_A * np.tanh(TEACHER_B * grid)],
                           axis=1).astype(np.float32),
        box=((-lim, lim), (-top, top)),
    )


def half_plane(w: np.ndarray, box) -> np.ndarray:
    """The polygon ``{x in box : w·x ≥ 0}`` (Sutherland–Hodgman against one edge), padded
    to 6 vertices by repeating its last; all 6 at the origin when ``w = 0``."""
    (x0, x1), (y0, y1) = box
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    out: list[tuple[float, float]] = []
    if np.hypot(*w) > 0:
        def side(q):
            return w[0] * q[0] + w[1] * q[1]

        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            sa, sb = side(a), side(b)
            if sa >= 0:
                out.append(a)
            if (sa >= 0) != (sb >= 0):
                t = sa / (sa - sb)
                out.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
    if not out:
        out = [(0.0, 0.0)]
    out += [out[-1]] * (6 - len(out))
    return np.asarray(out[:6], dtype=np.float64)


def _boundary(w: np.ndarray, radius: float) -> np.ndarray:
    norm = float(np.hypot(*w))
    if norm == 0.0:
        return np.zeros((2, 2))
    d = np.array([-w[1], w[0]]) / norm
    return np.stack([-radius * d, radius * d])


def _logistic_panel(values: Mapping[str, float], at: np.ndarray) -> DataPanel:
    points, s = (np.asarray(a, dtype=np.float64) for a in blobs(int(values["seed"])))
    lim = float(np.ceil(np.abs(points).max() * 1.05 * 2) / 2)
    box = ((-lim, lim), (-lim, lim))
    w = np.asarray(at, dtype=np.float64)
    return DataPanel(
        kind="boundary", title="● class 1, ○ class 0 and {name}'s boundary at this step",
        xlabel="x₁", ylabel="x₂", points=points.astype(np.float32),
        labels=(s > 0).astype(np.float32),
        fits=np.stack([_boundary(v, lim * 1.5) for v in w]).astype(np.float32),
        regions=np.stack([half_plane(v, box) for v in w]).astype(np.float32),
        reference=None, box=box,
    )


SEED = HParam(0, 0, SEEDS - 1, integer=True, label="data seed",
              help="Which data set: the same seed always draws the same points.")
BATCH = HParam(DATA_SIZE, 1, DATA_SIZE, integer=True, label="batch size",
               help=f"Examples per gradient step, drawn without replacement; {DATA_SIZE} "
               "(all of them) is full-batch gradient descent.")

#: ``logistic_minimum(0)``, written out so that importing the registry runs no JAX
#: (tests/landscapes/test_network.py checks that ``derive`` reproduces it to the last bit).
LOGISTIC_MINIMUM_SEED0 = ((1.23506905974, 2.309872004419), 0.4610895920667)

NETWORK: tuple[Landscape, ...] = (
    Landscape(
        slug="tanh_unit",
        name="One tanh unit (teacher–student)",
        family="network",
        loss=tanh_unit_loss,
        stochastic_loss=tanh_unit_minibatch,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        start=(2.6, -1.2),
        latex=r"f(w_1,w_2) = \frac1n\sum_{i=1}^{n}\left(w_2\tanh(w_1x_i)"
        r" - 2\tanh(1.5\,x_i)\right)^2,\quad x_i\sim U(-2,2)",
        minima=((TEACHER_B, TEACHER_A), (-TEACHER_B, -TEACHER_A)),
        min_value=0.0,
        saddles=((0.0, 0.0),),
        log_scale=True,
        params={"seed": SEED, "batch_size": BATCH},
        panel=_tanh_panel,
        reference="Teacher–student networks: Saad & Solla, Phys. Rev. E 52 (1995); "
        "saddles of the symmetric network: Fukumizu & Amari, Neural Networks 13 (2000)",
        blurb="A one-unit network fitted to a noiseless teacher: two mirror-image "
        "global minima (w₁, w₂) = ±(1.5, 2), a saddle at the origin between them, and "
        "flat plateaus where tanh saturates (large |w₁|).",
    ),
    Landscape(
        slug="logistic",
        name="Logistic regression (2 weights)",
        family="network",
        loss=logistic_loss,
        stochastic_loss=logistic_minibatch,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(-4.0, -2.5),
        latex=r"f(w_1,w_2) = \frac1n\sum_{i=1}^{n}\log\left(1+e^{-s_i\,(w_1x_{i1}"
        r"+w_2x_{i2})}\right),\quad s_i=\pm1",
        minima=(LOGISTIC_MINIMUM_SEED0[0],),
        min_value=LOGISTIC_MINIMUM_SEED0[1],
        params={"seed": SEED, "batch_size": BATCH},
        derive=_logistic_derive,
        panel=_logistic_panel,
        reference="D. R. Cox, The regression analysis of binary sequences (1958); "
        "minimum by Newton's method in float64",
        blurb=f"Logistic regression without bias on two overlapping Gaussian blobs "
        f"({DATA_SIZE} points): convex, one finite minimum at the bottom of a ravine "
        "(Hessian condition number about 5). Lower the batch size for minibatch SGD.",
    ),
)
