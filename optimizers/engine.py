"""The JAX engine: trajectories of optax optimizers on 2-D landscapes.

One run is a pure function written for a single input (``_run``); it is vmapped at the
call site and jitted once per (loss, optimizer, step bucket, batch bucket). Everything a
user can move (hyperparameters, start, seed, schedule and its parameters, clipping,
noise, landscape parameters) is a traced argument, so no slider recompiles.

``simulate`` is the public entry point (contract in DESIGN.md). Any hyperparameter given
as a 1-D array, ``start`` given as ``(n, 2)``, or ``seed`` (or ``noise``/``clip_norm``)
given as a 1-D array batches the run: one vmapped call with a leading batch axis on every
output field.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscapes.base import Landscape
from optimizers.catalog import OPTIMIZERS, OptimizerSpec
from optimizers.schedules import (
    SCHEDULE_PARAMS,
    learning_rate_at,
    schedule_defaults,
    schedule_index,
)

#: Scan lengths are rounded up to one of these so few programs are ever compiled.
STEP_BUCKETS = (64, 128, 256, 512, 1024, 2048, 4096, 8192)
MAX_STEPS = STEP_BUCKETS[-1]


@dataclass(frozen=True)
class Trajectory:
    """The outcome of ``simulate``.

    Unbatched: ``path (steps+1, 2)``, ``loss (steps+1,)``, ``grad_norm (steps+1,)``,
    ``learning_rate (steps,)`` (the scheduled η_t of each update), and ``diverged_at``, an
    ``int`` or ``None``. Batched runs gain a leading axis ``n`` and ``diverged_at`` becomes
    an ``(n,)`` int array with -1 for "never". From the diverging step on, the point, its
    loss and gradient norm are frozen at the last good values: never NaN.
    """

    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    learning_rate: np.ndarray
    diverged_at: Any

    @property
    def steps(self) -> int:
        return self.path.shape[-2] - 1


def bucket_steps(steps: int) -> int:
    """The scan length used for ``steps`` updates: the smallest bucket that holds them."""
    for size in STEP_BUCKETS:
        if steps <= size:
            return size
    raise ValueError(f"at most {MAX_STEPS} steps, got {steps}")


def _bucket_batch(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def _transform(spec: OptimizerSpec, hparams: Mapping[str, jax.Array], schedule_kind,
               horizon, schedule_params, clip_norm) -> optax.GradientTransformationExtraArgs:
    def lr_schedule(count):
        return learning_rate_at(schedule_kind, count, hparams["learning_rate"], horizon,
                                schedule_params)

    others = {k: v for k, v in hparams.items() if k != "learning_rate"}
    inner = optax.inject_hyperparams(spec.factory)(learning_rate=lr_schedule, **others)
    return optax.chain(optax.clip_by_global_norm(clip_norm), inner)


def _unpack(row, layout: tuple[str, ...]) -> dict[str, Any]:
    """The named scalars of one run from its packed float32 row (see ``_pack``)."""
    named = {name: row[i] for i, name in enumerate(layout)}
    group = {}
    for name, value in named.items():
        head, _, tail = name.partition(".")
        if tail:
            group.setdefault(head, {})[tail] = value
        else:
            group[head] = value
    group["start"] = jnp.stack([group.pop("x0"), group.pop("y0")])
    group["center"] = jnp.stack([group.pop("cx"), group.pop("cy")])
    group["schedule_kind"] = group["schedule_kind"].astype(jnp.int32)
    return group


def _run(loss_fn, spec: OptimizerSpec, length: int, layout: tuple[str, ...], row, seed):
    """One trajectory of ``length`` updates from the packed scalars ``row``."""
    args = _unpack(row, layout)
    lparams = args.get("landscape", {})

    def f(p):
        return loss_fn(p, lparams)

    value_and_grad = jax.value_and_grad(f)
    opt = _transform(spec, args["hparams"], args["schedule_kind"], args["horizon"],
                     args["schedule"], args["clip_norm"])
    center, radius = args["center"], args["radius"]

    def healthy(p, value, grad):
        return (jnp.all(jnp.isfinite(p)) & jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))
                & jnp.all(jnp.abs(p - center) <= radius))

    p0 = args["start"]
    v0, g0 = value_and_grad(p0)
    state0 = opt.init(p0)
    dead0 = ~healthy(p0, v0, g0)
    # One vectorized draw for the whole run: far cheaper than a PRNG call per step.
    xi = jax.random.normal(jax.random.PRNGKey(seed), (length, 2))

    def step(carry, xi_t):
        p, state, value, grad, dead = carry
        noisy = grad + args["noise"] * xi_t
        extra = {}
        if "value" in spec.needs:
            extra = {"value": value, "grad": noisy, "value_fn": f}
        if "hessian" in spec.needs:
            extra = {"hessian": jax.hessian(f)(p)}
        updates, new_state = opt.update(noisy, state, p, **extra)
        p_new = optax.apply_updates(p, updates)
        v_new, g_new = value_and_grad(p_new)
        stop = dead | ~healthy(p_new, v_new, g_new)

        def keep(old, new):
            return jnp.where(stop, old, new)

        carry = (keep(p, p_new), jax.tree.map(keep, state, new_state), keep(value, v_new),
                 keep(grad, g_new), stop)
        lr_t = new_state[1].hyperparams["learning_rate"]
        row = jnp.stack([carry[0][0], carry[0][1], carry[2], jnp.linalg.norm(carry[3])])
        return carry, (row, lr_t, stop & ~dead)

    _, (rows, lr, newly) = jax.lax.scan(step, (p0, state0, v0, g0, dead0), xi)
    diverged_at = jnp.where(dead0, 0, jnp.where(newly.any(), jnp.argmax(newly) + 1, -1))
    first = jnp.stack([p0[0], p0[1], v0, jnp.linalg.norm(g0)])
    return jnp.concatenate([first[None], rows]), lr, diverged_at


@functools.lru_cache(maxsize=256)
def _compiled(loss_fn, slug: str, length: int, layout: tuple[str, ...]):
    spec = OPTIMIZERS[slug]
    run = functools.partial(_run, loss_fn, spec, length, layout)
    return jax.jit(jax.vmap(run))


def _batch_size(named: Mapping[str, Any]) -> int | None:
    """The common length of the batched arguments, ``None`` if nothing is batched."""
    sizes = {}
    for name, (value, rank) in named.items():
        arr = np.asarray(value)
        if arr.ndim == rank + 1:
            sizes[name] = arr.shape[0]
        elif arr.ndim != rank:
            raise ValueError(f"{name} must be a scalar or 1-D array (start: (2,) or (n, 2))")
    if not sizes:
        return None
    if len(set(sizes.values())) > 1:
        raise ValueError(f"batched arguments differ in length: {sizes}")
    (n,) = set(sizes.values())
    if n < 1:
        raise ValueError("a batch needs at least one run")
    return n


@dataclass(frozen=True)
class _Launched:
    """A dispatched, not yet awaited, simulation (JAX runs it asynchronously)."""

    outputs: Any
    n: int
    steps: int
    batched: bool


def _pack(columns: Mapping[str, Any], n: int, size: int) -> tuple[tuple[str, ...], np.ndarray]:
    """All per-run scalars as one ``(size, k)`` float32 array: one host-to-device copy.

    Rows past ``n`` repeat the first run (batch sizes are bucketed to powers of two).
    """
    layout = tuple(columns)
    packed = np.empty((size, len(layout)), dtype=np.float32)
    for i, name in enumerate(layout):
        packed[:n, i] = columns[name]
    packed[n:] = packed[:1]
    return layout, packed


def launch(
    landscape: Landscape,
    optimizer: str,
    hparams: Mapping[str, Any] | None = None,
    start: Any = None,
    steps: int = 200,
    *,
    seed: Any = 0,
    schedule: str = "constant",
    schedule_params: Mapping[str, float] | None = None,
    clip_norm: Any = np.inf,
    noise: Any = 0.0,
) -> _Launched:
    """Validate, pack and dispatch a simulation; ``collect`` waits for it (see simulate)."""
    spec = OPTIMIZERS[optimizer]
    if not 1 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be in [1, {MAX_STEPS}], got {steps}")
    steps = int(steps)
    unknown = set(hparams or {}) - set(spec.hparams)
    if unknown:
        raise ValueError(f"{optimizer} has no hyperparameter(s) {sorted(unknown)}")
    hp = {**spec.defaults(), **(hparams or {})}
    extra = set(schedule_params or {}) - set(SCHEDULE_PARAMS)
    if extra:
        raise ValueError(f"unknown schedule parameter(s) {sorted(extra)}")
    sp = {**schedule_defaults(), **(schedule_params or {})}
    start = landscape.start if start is None else start

    named = {f"hparams.{k}": (v, 0) for k, v in hp.items()}
    named.update({"start": (start, 1), "seed": (seed, 0), "noise": (noise, 0),
                  "clip_norm": (clip_norm, 0)})
    n = _batch_size(named)
    batched = n is not None
    n = n or 1
    size = _bucket_batch(n)

    start_arr = np.broadcast_to(np.asarray(start, np.float64), (n, 2))
    columns: dict[str, Any] = {f"hparams.{k}": v for k, v in hp.items()}
    columns.update({f"schedule.{k}": v for k, v in sp.items()})
    columns.update({f"landscape.{k}": v for k, v in landscape.param_values.items()})
    cx, cy = landscape.center
    columns.update({
        "x0": start_arr[:, 0], "y0": start_arr[:, 1], "noise": noise, "clip_norm": clip_norm,
        "schedule_kind": schedule_index(schedule), "horizon": steps,
        "cx": cx, "cy": cy, "radius": landscape.escape_radius,
    })
    layout, packed = _pack(columns, n, size)
    seeds = np.empty(size, dtype=np.uint32)
    seeds[:n] = seed
    seeds[n:] = seeds[0]
    run = _compiled(landscape.loss, optimizer, bucket_steps(steps), layout)
    return _Launched(run(packed, seeds), n, steps, batched)


def collect(launched: _Launched) -> Trajectory:
    """Wait for a launched simulation and cut it to its real batch and step count."""
    trace, lr, div = jax.device_get(launched.outputs)
    n, steps = launched.n, launched.steps
    trace = trace[:n, : steps + 1]
    lr = lr[:n, :steps]
    div = np.where(div[:n] > steps, -1, div[:n]).astype(np.int64)
    path, loss, gnorm = trace[..., :2], trace[..., 2], trace[..., 3]
    if launched.batched:
        return Trajectory(path, loss, gnorm, lr, div)
    d = int(div[0])
    return Trajectory(path[0], loss[0], gnorm[0], lr[0], None if d < 0 else d)


def simulate(
    landscape: Landscape,
    optimizer: str,
    hparams: Mapping[str, Any] | None = None,
    start: Any = None,
    steps: int = 200,
    **options: Any,
) -> Trajectory:
    """Run ``optimizer`` (a slug of ``OPTIMIZERS``) on ``landscape`` for ``steps`` updates.

    Keyword options: ``seed``, ``schedule`` (a name of ``SCHEDULES``),
    ``schedule_params``, ``clip_norm``, ``noise``. Missing hyperparameters take the
    catalogue's defaults; ``start`` defaults to the landscape's. ``noise`` is the standard
    deviation σ of additive Gaussian gradient noise, ``g̃_t = ∇f(p_t) + σ ξ_t`` with ξ_t
    drawn from ``seed``; ``clip_norm`` clips the (noisy) gradient to that global norm
    before the optimizer sees it (``optax.clip_by_global_norm``; ``inf`` disables it).

    A point, loss or gradient that is non-finite, or a point more than
    ``landscape.escape_radius`` from the domain's centre, ends the run: ``diverged_at`` is
    that step and the point stays frozen at the last good one.
    """
    return collect(launch(landscape, optimizer, hparams, start, steps, **options))


def race(landscape: Landscape, entries: Sequence[tuple[str, Mapping[str, Any]]],
         start: Any = None, steps: int = 200, **options: Any) -> list[Trajectory]:
    """Several optimizers from one start under the same options.

    All runs are dispatched before any is awaited, so JAX executes them while Python
    prepares the next: one wait for the whole race.
    """
    launched = [launch(landscape, slug, hp, start, steps, **options) for slug, hp in entries]
    return [collect(item) for item in launched]
