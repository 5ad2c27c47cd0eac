"""A small MLP on two moons, and the 2-D slices through its loss that can be drawn.

The network has ``P = 337`` parameters, so its loss cannot be drawn; a *plane* through
parameter space can (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets",
https://arxiv.org/abs/1712.09913): ``L(θ* + α d₁ + β d₂)`` over a grid of (α, β), with
the trajectory's points projected onto the plane. Two choices of plane:

- ``"random"``: two random Gaussian directions, *filter-normalized*: each filter of a
  direction (here: the column of a weight matrix feeding one unit) is rescaled to the
  norm of the same filter of θ*, so the picture does not depend on the weights' scale;
  the bias entries of a direction are 0 (Li et al.'s default, ``ignore='biasbn'``).
- ``"pca"``: the top two principal directions of the trajectories' offsets ``θ_t − θ*``
  (Li et al. §7): the plane that holds as much of the paths as any plane through θ* can.

Everything here is a pure function of arrays: the model, its data (generated with
``jax.random`` from a seed), the directions and the plane's grid. Training lives in
``optimizers/training.py``; nothing here knows about optimizers.
"""

from __future__ import annotations

import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

#: Units per layer: 2 inputs, two hidden tanh layers of 16, one logit.
LAYERS = (2, 16, 16, 1)
MOON_POINTS = 128
MOON_NOISE = 0.15
PLANES = ("pca", "random")
#: (shape of W, shape of b) per layer; W maps a row of inputs to a row of outputs.
SHAPES = tuple(((a, b), (b,)) for a, b in itertools.pairwise(LAYERS))
SIZE = sum(a * b + b for a, b in itertools.pairwise(LAYERS))


# -- data ---------------------------------------------------------------------------------


@jax.jit
def moons(seed) -> tuple[jax.Array, jax.Array]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``), centred, with
    Gaussian noise: points ``(MOON_POINTS, 2)`` and labels 0/1 (the first half 0), float32."""
    k_angle, k_noise = jax.random.split(jax.random.PRNGKey(jnp.asarray(seed).astype(jnp.int32)))
    half = MOON_POINTS // 2
    t = jax.random.uniform(k_angle, (MOON_POINTS,), dtype=jnp.float32, maxval=math.pi)
    label = (jnp.arange(MOON_POINTS) >= half).astype(jnp.float32)
    upper = jnp.stack([jnp.cos(t), jnp.sin(t)], axis=1)
    lower = jnp.stack([1.0 - jnp.cos(t), 0.5 - jnp.sin(t)], axis=1)
    points = jnp.where(label[:, None] > 0, lower, upper) - jnp.array([0.5, 0.25], jnp.float32)
    noise = MOON_NOISE * jax.random.normal(k_noise, (MOON_POINTS, 2), dtype=jnp.float32)
    return points + noise, label


# -- the model ----------------------------------------------------------------------------


def unflatten(theta) -> list[tuple[jax.Array, jax.Array]]:
    """The (W, b) of every layer from the flat parameter vector (static slices)."""
    out, i = [], 0
    for (a, b), _ in SHAPES:
        w = theta[..., i: i + a * b].reshape(*theta.shape[:-1], a, b)
        i += a * b
        out.append((w, theta[..., i: i + b]))
        i += b
    return out


def init(seed) -> jax.Array:
    """LeCun-normal weights (variance 1/fan-in), zero biases: a flat ``(SIZE,)`` float32."""
    keys = jax.random.split(jax.random.PRNGKey(jnp.asarray(seed).astype(jnp.int32)),
                            len(SHAPES))
    parts = []
    for key, ((a, b), _) in zip(keys, SHAPES, strict=True):
        parts.append((jax.random.normal(key, (a, b), dtype=jnp.float32) / math.sqrt(a)).ravel())
        parts.append(jnp.zeros(b, jnp.float32))
    return jnp.concatenate(parts)


def logits(theta, points):
    """The network's logit for each point: ``(N,)`` for ``theta (SIZE,)``."""
    h = points
    layers = unflatten(theta)
    for k, (w, b) in enumerate(layers):
        h = h @ w + b
        if k < len(layers) - 1:
            h = jnp.tanh(h)
    return h[..., 0]


def loss(theta, points, labels):
    """Mean binary cross-entropy (log-loss), computed stably from the logits."""
    z = logits(theta, points)
    return jnp.mean(jnp.logaddexp(0.0, -(2.0 * labels - 1.0) * z))


def accuracy(theta, points, labels):
    return jnp.mean((logits(theta, points) > 0) == (labels > 0.5))


# -- directions ---------------------------------------------------------------------------


def filter_norms(theta) -> np.ndarray:
    """The norm of every filter (the column of a weight matrix feeding one unit), layer
    after layer: ``(16 + 16 + 1,)``."""
    return np.concatenate([np.linalg.norm(np.asarray(w, dtype=np.float64), axis=0)
                           for w, _ in unflatten(np.asarray(theta))])


def filter_normalized(theta, seed: int) -> np.ndarray:
    """A random Gaussian direction, each filter rescaled to the norm of θ's filter and
    the biases set to 0 (Li et al. 2018, §4), as float64 ``(SIZE,)``."""
    d = np.asarray(jax.random.normal(jax.random.PRNGKey(seed), (SIZE,), dtype=jnp.float32),
                   dtype=np.float64)
    out, i = np.zeros(SIZE), 0
    theta = np.asarray(theta, dtype=np.float64)
    for (a, b), _ in SHAPES:
        w = theta[i: i + a * b].reshape(a, b)
        dw = d[i: i + a * b].reshape(a, b)
        dw = dw * (np.linalg.norm(w, axis=0) / np.maximum(np.linalg.norm(dw, axis=0), 1e-30))
        out[i: i + a * b] = dw.ravel()
        i += a * b + b  # the bias entries stay 0
    return out


def random_directions(theta, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent filter-normalized directions (seeds ``2·seed`` and ``2·seed+1``)."""
    return filter_normalized(theta, 2 * seed), filter_normalized(theta, 2 * seed + 1)


def pca_directions(points: np.ndarray, center: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The top two principal directions of the offsets ``points − center`` (rows), unit
    length, and the fraction of the offsets' total squared length each captures.

    The plane passes through ``center`` (the final weights), so the offsets are not
    mean-centred: this is the best plane *through θ**, in least squares. Signs are fixed
    so the largest offset has a positive first coordinate (deterministic output).
    """
    m = np.asarray(points, dtype=np.float64).reshape(-1, SIZE) - np.asarray(center, np.float64)
    gram = m.T @ m
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][:2]
    d1, d2 = vectors[:, order[0]], vectors[:, order[1]]
    far = m[np.argmax(np.linalg.norm(m, axis=1))]
    if far @ d1 < 0:
        d1 = -d1
    if far @ d2 < 0:
        d2 = -d2
    total = max(float(np.trace(gram)), 1e-300)
    return d1, d2, np.maximum(values[order], 0.0) / total


def project(points: np.ndarray, center: np.ndarray, d1: np.ndarray, d2: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares coordinates ``(α, β)`` of ``points (..., SIZE)`` on the plane
    ``center + α d₁ + β d₂`` (the directions need not be orthogonal), and each point's
    distance from the plane."""
    basis = np.stack([d1, d2], axis=1)  # (SIZE, 2)
    offsets = np.asarray(points, dtype=np.float64) - np.asarray(center, np.float64)
    coords = np.linalg.solve(basis.T @ basis, (offsets @ basis).reshape(-1, 2).T).T
    coords = coords.reshape(*offsets.shape[:-1], 2)
    residual = offsets - coords @ basis.T
    return coords, np.linalg.norm(residual, axis=-1)


# -- the plane ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _plane_fn():
    def one(center, d1, d2, alpha, beta, points, labels):
        return loss(center + alpha * d1 + beta * d2, points, labels)

    over_alpha = jax.vmap(one, in_axes=(None, None, None, 0, None, None, None))
    over_grid = jax.vmap(over_alpha, in_axes=(None, None, None, None, 0, None, None))
    return jax.jit(over_grid)


def plane_losses(center, d1, d2, alphas, betas, points, labels) -> np.ndarray:
    """``L(center + α d₁ + β d₂)`` for every (α, β) of the grid: ``(len(betas),
    len(alphas))``, rows following β. One vmapped, jitted call (float32)."""
    f32 = functools.partial(jnp.asarray, dtype=jnp.float32)
    out = _plane_fn()(f32(center), f32(d1), f32(d2), f32(alphas), f32(betas), f32(points),
                      f32(labels))
    return np.asarray(out, dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _along_fn():
    def one(center, d1, d2, ab, points, labels):
        return loss(center + ab[0] * d1 + ab[1] * d2, points, labels)

    return jax.jit(jax.vmap(one, in_axes=(None, None, None, 0, None, None)))


def losses_at(center, d1, d2, coords, points, labels) -> np.ndarray:
    """``L(center + α d₁ + β d₂)`` at each row (α, β) of ``coords (k, 2)``: ``(k,)``."""
    f32 = functools.partial(jnp.asarray, dtype=jnp.float32)
    out = _along_fn()(f32(center), f32(d1), f32(d2), f32(coords), f32(points), f32(labels))
    return np.asarray(out, dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _decision_fn():
    return jax.jit(lambda theta, grid: jax.nn.sigmoid(logits(theta, grid)))


def decision_grid(theta, box, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(class 1) of the network on an ``n × n`` grid of the input plane ``box``."""
    (x0, x1), (y0, y1) = box
    xs = np.linspace(x0, x1, n, dtype=np.float32)
    ys = np.linspace(y0, y1, n, dtype=np.float32)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    probs = np.asarray(_decision_fn()(jnp.asarray(theta, jnp.float32), grid))
    return xs, ys, probs.reshape(n, n)
