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
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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


class _Static(NamedTuple):
    """What a compiled program fixes instead of tracing, each for a measured reason.

    ``noisy``: drawing the noise costs more than a whole noiseless run (threefry on the
    CPU). ``schedule`` (a name of ``SCHEDULES``): a traced choice would evaluate every
    schedule at every step of every run (``lax.switch`` under ``vmap`` computes all
    branches): up to 10× slower sweeps. ``clipped``: an infinite clip still costs a norm
    and a select per step (~8% of a race). Each costs one compile per value actually
    used; the schedule's parameters and the clipping norm stay traced.
    """

    noisy: bool
    schedule: str
    clipped: bool


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


def use_compilation_cache(directory: str | None) -> None:
    """Keep compiled programs on disk in ``directory`` (``None`` or "" leaves it off).

    Every program is stored: JAX's default threshold (1 s of compile time) would store
    none of ours, and a fresh server process then loads instead of compiling.

    The cache has no size limit, on purpose (a program takes about 20 kB; the whole test
    suite writes about 1 400 of them, 35 MB): with one, JAX evicts by access times it
    records beside each entry, and a single entry without that record (written by an
    unlimited cache, or by a process killed between the two writes) makes every later
    write fail. The cost: JAX writes an entry in place, without a lock, so processes
    sharing a folder must not compile one program at the same moment (warm replicas one
    after the other; the test workers have a folder each).
    """
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def bucket_steps(steps: int) -> int:
    """The scan length used for ``steps`` updates: the smallest bucket that holds them."""
    for size in STEP_BUCKETS:
        if steps <= size:
            return size
    raise ValueError(f"at most {MAX_STEPS} steps, got {steps}")


#: Batches are padded to a power of two up to this size, to a multiple of it beyond:
#: few distinct shapes (compiles) without running 64k starts for a 200 × 200 map.
BATCH_QUANTUM = 4096


def _bucket_batch(n: int) -> int:
    if n <= BATCH_QUANTUM:
        return 1 if n <= 1 else 1 << (n - 1).bit_length()
    return -(-n // BATCH_QUANTUM) * BATCH_QUANTUM


def transform(spec: OptimizerSpec, hparams: Mapping[str, jax.Array], schedule, horizon,
              schedule_params, clip_norm,
              clipped: bool = True) -> optax.GradientTransformationExtraArgs:
    """The optax transform a run applies: gradient clipping (or nothing), then the
    optimizer with every hyperparameter injected as traced state and its learning rate
    following the schedule. Its state is a dict: ``"clip"`` and ``"optimizer"`` (whose
    ``hyperparams["learning_rate"]`` is this update's scheduled η_t)."""
    def lr_schedule(count):
        return learning_rate_at(schedule, count, hparams["learning_rate"], horizon,
                                schedule_params)

    others = {k: v for k, v in hparams.items() if k != "learning_rate"}
    inner = optax.inject_hyperparams(spec.factory)(learning_rate=lr_schedule, **others)
    first = optax.clip_by_global_norm(clip_norm) if clipped else optax.identity()
    return optax.named_chain(("clip", first), ("optimizer", inner))


def scheduled_learning_rate(state) -> jax.Array:
    """η_t of the update that produced ``state`` (a ``transform``'s state)."""
    return state["optimizer"].hyperparams["learning_rate"]


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
    group["seed"] = jax.lax.bitcast_convert_type(group["seed"], jnp.uint32)
    return group


class View(NamedTuple):
    """The point drawn for a run, its loss and its gradient (see ``OptimizerSpec.shown``)."""

    point: Any
    value: Any
    grad: Any


class Carry(NamedTuple):
    """One run between updates: the parameters the optimizer iterates, its optax state,
    the loss and gradient at the parameters, whether the run has stopped, and ``view``:
    the drawn point with its loss and gradient for a spec with ``shown`` (``None``
    otherwise: the parameters are drawn, nothing is computed twice)."""

    params: Any
    state: Any
    value: Any
    grad: Any
    dead: Any
    view: View | None = None

    def drawn(self) -> View:
        """The point recorded and drawn, with its loss and gradient."""
        return self.view if self.view is not None else View(self.params, self.value, self.grad)


class Oracle(NamedTuple):
    """What one update may ask of the loss beyond its gradient: the loss ``f``, this
    step's gradient at any point (``gradient``: its minibatch and its noise draw), and
    this step's PRNG ``key`` for an optimizer's own randomness."""

    f: Callable
    gradient: Callable
    key: Any


#: How each word of ``OptimizerSpec.needs`` becomes keyword arguments of ``update``
#: (catalog.NEEDS describes them): each argument's name and how it is built. Only a
#: spec's own words are evaluated, so a Hessian is computed only for an optimizer that
#: asks for one.
UPDATE_ARGUMENTS: dict[str, dict[str, Callable[[Carry, Any, Oracle], Any]]] = {
    "value": {"value": lambda c, seen, o: c.value, "grad": lambda c, seen, o: seen,
              "value_fn": lambda c, seen, o: o.f},
    "hessian": {"hessian": lambda c, seen, o: jax.hessian(o.f)(c.params)},
    "obj_fn": {"obj_fn": lambda c, seen, o: o.f},
    "key": {"key": lambda c, seen, o: o.key},
    "grad_fn": {"grad_fn": lambda c, seen, o: lambda q, i: o.gradient(q)},
}


def argument_names(spec: OptimizerSpec) -> frozenset[str]:
    """The names of the extra keyword arguments ``spec``'s ``update`` is given."""
    return frozenset(name for word in spec.needs for name in UPDATE_ARGUMENTS[word])


def update_arguments(spec: OptimizerSpec, carry: Carry, seen, oracle: Oracle) -> dict:
    """The extra keyword arguments of ``spec``'s ``update``, from its ``needs``."""
    return {name: build(carry, seen, oracle) for word in sorted(spec.needs)
            for name, build in UPDATE_ARGUMENTS[word].items()}


def own_state(state):
    """The optimizer's own optax state inside a ``transform``'s state (the factory's,
    under the chain's ``"optimizer"`` and ``inject_hyperparams``)."""
    return state["optimizer"].inner_state


def drawn_view(spec: OptimizerSpec, params, state, value_and_grad) -> View | None:
    """The point ``spec`` draws for ``params`` and a ``transform``'s ``state``, with its
    loss and gradient; ``None`` when the parameters themselves are drawn."""
    if spec.shown is None:
        return None
    point = spec.point_drawn(params, own_state(state))
    return View(point, *value_and_grad(point))


def step_key(key, t):
    """The PRNG key of update ``t`` for an optimizer's own randomness: a stream apart
    from the gradient noise's and the minibatches'."""
    return jax.random.fold_in(jax.random.fold_in(key, 2), t)


def initial_carry(spec: OptimizerSpec, opt, value_and_grad, healthy, p0) -> Carry:
    """The carry before the first update from ``p0``."""
    v0, g0 = value_and_grad(p0)
    state = opt.init(p0)
    view = drawn_view(spec, p0, state, value_and_grad)
    dead = ~healthy(p0, v0, g0)
    if view is not None:
        dead = dead | ~healthy(*view)
    return Carry(p0, state, v0, g0, dead, view)


def guarded_update(spec: OptimizerSpec, opt, value_and_grad, healthy, carry: Carry, seen,
                   oracle: Oracle, frozen=False):
    """One optimizer update from the gradient ``seen``, for parameters of any shape.

    ``carry`` (a ``Carry``) has value and grad exact at its params. A result that is not
    ``healthy`` (the parameters, and the drawn point if it differs), a ``dead`` carry or
    a ``frozen`` step keeps the old carry; ``dead`` records the first unhealthy result.
    ``oracle`` supplies what ``spec.needs``. Also returns the new optax state (unkept)
    for what it reports, such as the scheduled learning rate. Shared by the 2-D engine
    and by training in a full parameter space.
    """
    frozen = jnp.asarray(frozen, dtype=bool)
    extra = update_arguments(spec, carry, seen, oracle)
    updates, new_state = opt.update(seen, carry.state, carry.params, **extra)
    p_new = optax.apply_updates(carry.params, updates)
    v_new, g_new = value_and_grad(p_new)
    view = drawn_view(spec, p_new, new_state, value_and_grad)
    ok = healthy(p_new, v_new, g_new)
    if view is not None:
        ok = ok & healthy(*view)
    stop = carry.dead | ~ok
    hold = stop | frozen

    def keep(old, new):
        return jnp.where(hold, old, new)

    candidate = Carry(p_new, new_state, v_new, g_new, carry.dead, view)
    kept = jax.tree.map(keep, carry, candidate)
    return kept._replace(dead=(stop & ~frozen) | carry.dead), new_state


def _dynamics(losses, spec: OptimizerSpec, length: int, layout: tuple[str, ...],
              static: _Static, row):
    """The initial carry, per-step inputs and step function of one run.

    Shared by the two ways of recording a run (every point, or only the outcome).
    ``static`` holds what is compiled in rather than traced (see ``_Static``).
    """
    loss_fn, stochastic_fn = losses
    args = _unpack(row, layout)
    lparams = args.get("landscape", {})

    def f(p):
        return loss_fn(p, lparams)

    value_and_grad = jax.value_and_grad(f)
    key = jax.random.PRNGKey(args["seed"])
    opt = transform(spec, args["hparams"], static.schedule, args["horizon"],
                    args["schedule"], args["clip_norm"], static.clipped)
    center, radius = args["center"], args["radius"]

    def healthy(p, value, grad):
        return (jnp.all(jnp.isfinite(p)) & jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))
                & jnp.all(jnp.abs(p - center) <= radius))

    carry0 = initial_carry(spec, opt, value_and_grad, healthy, args["start"])
    # One vectorized draw for the whole run: far cheaper than a PRNG call per step.
    xi = (jax.random.normal(key, (length, 2), jnp.float32) if static.noisy
          else jnp.zeros((length, 2), jnp.float32))

    def batch_loss(t):
        """The loss whose gradient update ``t`` follows: a minibatch's, from a key
        stream apart from the additive noise's, or the exact loss."""
        if stochastic_fn is None:
            return f
        batch_key = jax.random.fold_in(jax.random.fold_in(key, 1), t)
        return lambda q: stochastic_fn(q, lparams, batch_key)

    def advance(carry, t, xi_t, frozen):
        """Update ``t``; a carry that is ``frozen`` (or becomes unhealthy) stays put."""
        loss_t = batch_loss(t)

        def gradient(q):
            return jax.grad(loss_t)(q) + args["noise"] * xi_t

        # the exact gradient at the parameters is the carry's own: not computed again
        g_seen = (carry.grad + args["noise"] * xi_t if stochastic_fn is None
                  else gradient(carry.params))
        oracle = Oracle(f, gradient, step_key(key, t))
        carry, new_state = guarded_update(spec, opt, value_and_grad, healthy, carry,
                                          g_seen, oracle, frozen)
        return carry, scheduled_learning_rate(new_state), g_seen

    return args, carry0, xi, advance


def _record(carry: Carry):
    """x, y, f and ‖∇f‖ of the drawn point."""
    point, value, grad = carry.drawn()
    return jnp.stack([point[0], point[1], value, jnp.linalg.norm(grad)])


def _run(losses, spec: OptimizerSpec, length: int, layout: tuple[str, ...], static: _Static,
         row, inside: bool = False):
    """One trajectory of ``length`` updates from the packed scalars ``row``.

    Returns one ``(length+1, 6)`` array, columns x, y, f, ‖∇f‖, η_t (of the update
    leaving that point) and the divergence step (-1 for never) in every row: one array
    to copy back to the host. With ``inside`` (static), also the gradient each update
    saw and the optimizer's state after it, one entry per update.
    """
    _, carry0, xi, advance = _dynamics(losses, spec, length, layout, static, row)

    def step(carry, inputs):
        t, xi_t = inputs
        new, lr_t, g_seen = advance(carry, t, xi_t, False)
        seen = (g_seen, new.state) if inside else ()
        return new, (_record(new), lr_t, new.dead & ~carry.dead, seen)

    _, (rows, lr, newly, seen) = jax.lax.scan(step, carry0, (jnp.arange(length), xi))
    diverged_at = jnp.where(carry0.dead, 0,
                            jnp.where(newly.any(), jnp.argmax(newly) + 1, -1))
    rows = jnp.concatenate([_record(carry0)[None], rows])
    lr = jnp.concatenate([lr, lr[-1:]])
    div = jnp.full((length + 1,), diverged_at, dtype=rows.dtype)
    trace = jnp.concatenate([rows, lr[:, None], div[:, None]], axis=1)
    return (trace, seen) if inside else trace


def _run_outcome(losses, spec: OptimizerSpec, length: int, layout: tuple[str, ...],
                 static: _Static, row):
    """Only the outcome of one run: ``(6,)`` = final x, y, f, ‖∇f‖, the first step with
    f below the ``target`` column (-1 if never) and the divergence step (-1 if never).

    Nothing per step leaves the loop, so a 200×200 grid of runs needs no memory for
    paths. Steps past the run's own count (the bucket's padding) leave the carry as is.
    """
    args, carry0, xi, advance = _dynamics(losses, spec, length, layout, static, row)
    target = args["target"]

    def step(state, inputs):
        carry, hit, div = state
        t, xi_t = inputs
        new, _, _ = advance(carry, t, xi_t, t >= args["horizon"])
        became_dead = new.dead & ~carry.dead
        div = jnp.where(became_dead & (div < 0), t + 1, div)
        reached = (~new.dead & (new.drawn().value < target) & (hit < 0)
                   & (t < args["horizon"]))
        hit = jnp.where(reached, t + 1, hit)
        return (new, hit, div), None

    v0 = carry0.drawn().value
    hit0 = jnp.where(~carry0.dead & (v0 < target), 0, -1)
    div0 = jnp.where(carry0.dead, 0, -1)
    (final, hit, div), _ = jax.lax.scan(step, (carry0, hit0, div0),
                                        (jnp.arange(length), xi))
    return jnp.concatenate([_record(final), jnp.stack([hit, div]).astype(v0.dtype)])


def float32_program(fn: Callable) -> Callable:
    """``jax.jit(fn)``, traced and run with ``jax_enable_x64`` off whatever the host set.

    The packed rows are float32 and every constant of ours is weakly typed, but optax
    allocates some state in the default float dtype (L-BFGS's memory and line search):
    under x64 those would run in float64 and change the path. One precision everywhere,
    so a link replays the same in a notebook that turned x64 on.
    """
    program = jax.jit(fn)

    @functools.wraps(fn)
    def run(*args):
        with jax.enable_x64(False):
            return program(*args)

    return run


@functools.lru_cache(maxsize=256)
def _compiled(losses, spec: OptimizerSpec, length: int, layout: tuple[str, ...],
              static: _Static, outcome_only: bool = False, inside: bool = False):
    if outcome_only:
        body = functools.partial(_run_outcome, losses, spec, length, layout, static)
    else:
        body = functools.partial(_run, losses, spec, length, layout, static, inside=inside)
    return float32_program(jax.vmap(body))


_SCALAR = (int, float, np.integer, np.floating)


def _is_point(value: Any) -> bool:
    return (isinstance(value, tuple | list | np.ndarray) and np.shape(value) == (2,)
            and all(isinstance(v, _SCALAR) for v in value))


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
class _Prepared:
    """A validated simulation, packed for its compiled program."""

    # the static key: ((loss, stochastic_loss), spec, step bucket, layout, _Static,
    # outcome_only)
    program: tuple
    packed: np.ndarray
    n: int
    steps: int
    batched: bool


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


def _checked(spec: OptimizerSpec, hparams, steps, schedule, schedule_params):
    """Every hyperparameter and schedule parameter (defaults filled in), or ValueError."""
    if not 1 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be in [1, {MAX_STEPS}], got {steps}")
    unknown = set(hparams or {}) - set(spec.hparams)
    if unknown:
        raise ValueError(f"{spec.slug} has no hyperparameter(s) {sorted(unknown)}")
    extra = set(schedule_params or {}) - set(SCHEDULE_PARAMS)
    if extra:
        raise ValueError(f"unknown schedule parameter(s) {sorted(extra)}")
    schedule_index(schedule)  # ValueError for an unknown schedule
    return ({**spec.defaults(), **(hparams or {})},
            {**schedule_defaults(), **(schedule_params or {})})


def _pack_single(columns: dict[str, Any], start, seed) -> tuple[tuple[str, ...], np.ndarray]:
    """The common single run, without array inspection (it dominated a race's Python
    time): one row of Python floats."""
    columns.update({"x0": start[0], "y0": start[1], "seed": 0.0})
    layout = tuple(columns)
    packed = np.array([list(columns.values())], dtype=np.float32)
    packed[0, layout.index("seed")] = np.uint32(seed).view(np.float32)
    return layout, packed


def _pack_batch(columns: dict[str, Any], hp, start, seed, noise, clip_norm):
    """A batch: its size, whether anything was batched, the layout and the rows."""
    named = {f"hparams.{k}": (v, 0) for k, v in hp.items()}
    named.update({"start": (start, 1), "seed": (seed, 0), "noise": (noise, 0),
                  "clip_norm": (clip_norm, 0)})
    n = _batch_size(named)
    batched = n is not None
    n = n or 1
    start_arr = np.broadcast_to(np.asarray(start, np.float64), (n, 2))
    columns.update({"x0": start_arr[:, 0], "y0": start_arr[:, 1], "seed": 0.0})
    layout, packed = _pack(columns, n, _bucket_batch(n))
    # The seed travels bit-cast in its float32 column: uint32 seeds stay exact.
    packed[:n, layout.index("seed")] = np.broadcast_to(
        np.asarray(seed, dtype=np.uint32), (n,)).view(np.float32)
    packed[n:] = packed[:1]
    return n, batched, layout, packed


def spec_of(optimizer: str | OptimizerSpec) -> OptimizerSpec:
    """The catalogue's spec for a slug (a spec is taken as it is: an ``ensemble``)."""
    return optimizer if isinstance(optimizer, OptimizerSpec) else OPTIMIZERS[optimizer]


def _prepare(
    landscape: Landscape,
    optimizer: str | OptimizerSpec,
    hparams: Mapping[str, Any] | None = None,
    start: Any = None,
    steps: int = 200,
    *,
    seed: Any = 0,
    schedule: str = "constant",
    schedule_params: Mapping[str, float] | None = None,
    clip_norm: Any = np.inf,
    noise: Any = 0.0,
    target: float = -np.inf,
    outcome_only: bool = False,
) -> _Prepared:
    """Validate and pack a simulation (arguments as ``simulate``)."""
    spec = spec_of(optimizer)
    hp, sp = _checked(spec, hparams, steps, schedule, schedule_params)
    steps = int(steps)
    start = landscape.start if start is None else start
    columns: dict[str, Any] = {f"hparams.{k}": v for k, v in hp.items()}
    columns.update({f"schedule.{k}": v for k, v in sp.items()})
    columns.update({f"hparams.{k}": v
                    for k, v in spec.from_surface(landscape.min_value).items()})
    columns.update({f"landscape.{k}": v for k, v in landscape.param_values.items()})
    cx, cy = landscape.center
    columns.update({"noise": noise, "clip_norm": clip_norm, "horizon": steps, "cx": cx,
                    "cy": cy, "radius": landscape.escape_radius, "target": target})
    if all(isinstance(v, _SCALAR) for v in (*hp.values(), seed, noise, clip_norm)) \
            and _is_point(start):
        n, batched = 1, False
        layout, packed = _pack_single(columns, start, seed)
    else:
        n, batched, layout, packed = _pack_batch(columns, hp, start, seed, noise, clip_norm)
    static = _Static(noisy=bool(np.any(np.asarray(noise) != 0)), schedule=schedule,
                     clipped=bool(np.any(np.isfinite(np.asarray(clip_norm, dtype=float)))))
    losses = (landscape.loss, landscape.stochastic_loss)
    program = (losses, spec, bucket_steps(steps), layout, static, outcome_only)
    return _Prepared(program, packed, n, steps, batched)


def launch(landscape: Landscape, optimizer: str | OptimizerSpec, *args: Any,
           **options: Any) -> _Launched:
    """Validate, pack and dispatch a simulation; ``collect`` waits for it.

    Arguments as ``simulate``. Each optimizer has its own compiled program, so adding
    an optimizer to a race compiles only that one.
    """
    job = _prepare(landscape, optimizer, *args, **options)
    return _Launched(_compiled(*job.program)(job.packed), job.n, job.steps, job.batched)


def collect(launched: _Launched) -> Trajectory:
    """Wait for a launched simulation and cut it to its real batch and step count."""
    n, steps = launched.n, launched.steps
    trace = np.asarray(launched.outputs)[:n, : steps + 1]
    div = trace[:, 0, 5].astype(np.int64)
    div = np.where(div > steps, -1, div)
    path, loss, gnorm, lr = trace[..., :2], trace[..., 2], trace[..., 3], trace[:, :steps, 4]
    if launched.batched:
        return Trajectory(path, loss, gnorm, lr, div)
    d = int(div[0])
    return Trajectory(path[0], loss[0], gnorm[0], lr[0], None if d < 0 else d)


def simulate(
    landscape: Landscape,
    optimizer: str | OptimizerSpec,
    hparams: Mapping[str, Any] | None = None,
    start: Any = None,
    steps: int = 200,
    **options: Any,
) -> Trajectory:
    """Run ``optimizer`` on ``landscape`` for ``steps`` updates.

    ``optimizer`` is a slug of ``OPTIMIZERS``, or a spec (such as an ``ensemble``).

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


@functools.lru_cache(maxsize=64)
def _compiled_race(programs: tuple[tuple, ...]):
    runs = [jax.vmap(functools.partial(_run, losses, spec, length, layout, static))
            for losses, spec, length, layout, static, _ in programs]
    # one array back to the host for the whole race (traces share their step length)
    return float32_program(lambda packed: jnp.concatenate(
        [run(p) for run, p in zip(runs, packed, strict=True)]))


def race(landscape: Landscape, entries: Sequence[tuple[str, Mapping[str, Any]]],
         start: Any = None, steps: int = 200, **options: Any) -> list[Trajectory]:
    """Several optimizers from one start under the same options, fused into one program.

    One dispatch and one copy back for the whole race, at the price of one compile per
    combination of optimizers (``launch`` compiles per optimizer instead).
    """
    jobs = [_prepare(landscape, slug, hp, start, steps, **options) for slug, hp in entries]
    together = np.asarray(_compiled_race(tuple(job.program for job in jobs))(
        tuple(job.packed for job in jobs)))
    bounds = np.cumsum([0] + [job.packed.shape[0] for job in jobs])
    return [collect(_Launched(together[lo:hi], job.n, job.steps, job.batched))
            for job, lo, hi in zip(jobs, bounds[:-1], bounds[1:], strict=True)]


@dataclass(frozen=True)
class Outcome:
    """How a batch of runs ended, without their paths (see ``outcomes``).

    ``final (n, 2)``, ``loss (n,)``, ``grad_norm (n,)``; ``reached_at (n,)``: the first
    step whose loss is below the target (-1 if none, or if the run diverged first);
    ``diverged_at (n,)``: -1 for never.
    """

    final: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    reached_at: np.ndarray
    diverged_at: np.ndarray


def outcomes(landscape: Landscape, optimizer: str | OptimizerSpec,
             hparams: Mapping[str, Any] | None = None,
             start: Any = None, steps: int = 200, *, target: float = -np.inf,
             **options: Any) -> Outcome:
    """The ends of a batch of runs (arguments as ``simulate``), for maps and sweeps.

    Same dynamics as ``simulate`` (one shared step function), but only the outcome
    leaves the compiled loop: memory does not grow with the steps, so tens of thousands
    of runs fit. Always batched: scalars give a batch of one.
    """
    job = _prepare(landscape, optimizer, hparams, start, steps, target=target,
                   outcome_only=True, **options)
    out = np.asarray(_compiled(*job.program)(job.packed))[: job.n]
    div = out[:, 5].astype(np.int64)
    reached = out[:, 4].astype(np.int64)
    reached = np.where((div >= 0) & (reached >= div), -1, reached)
    return Outcome(out[:, :2], out[:, 2], out[:, 3], reached, div)


@dataclass(frozen=True)
class Inside:
    """What an optimizer saw and kept, update by update (see ``look_inside``).

    ``gradient (steps, 2)``: the gradient update t used (noise included), taken at
    the parameters, which are ``path[t]`` unless the optimizer draws another point
    (``OptimizerSpec.shown``); ``step (steps, 2)``: ``path[t+1] - path[t]``; ``state``: every array
    leaf of the optax state after update t, keyed by its path in the state tree (e.g.
    ``"mu"``, ``"nu"``, ``"trace"``, ``"sum_of_squares"``), each ``(steps, ...)``; the
    scheduled learning rate is ``trajectory.learning_rate``.
    """

    trajectory: Trajectory
    gradient: np.ndarray
    step: np.ndarray
    state: dict[str, np.ndarray]


def _leaf_name(path) -> str:
    parts = []
    for key in path:
        name = getattr(key, "name", None) or getattr(key, "key", None)
        if name is None:
            continue
        parts.append(str(name))
    # the optimizer's own moments live under inner_state of inject_hyperparams
    parts = [p for p in parts if p not in ("inner_state",)]
    return ".".join(parts)


def look_inside(landscape: Landscape, optimizer: str | OptimizerSpec,
                hparams: Mapping[str, Any] | None = None,
                start: Any = None, steps: int = 200, **options: Any) -> Inside:
    """One run with everything the optimizer kept, read from optax's own state.

    A separate compiled program (the race's programs carry no state out), for the
    overlays that show a student what is inside the optimizer.
    """
    job = _prepare(landscape, optimizer, hparams, start, steps, **options)
    if job.batched:
        raise ValueError("look_inside takes a single run")
    losses, spec, length, layout, static, _ = job.program
    trace, (grads, states) = _compiled(losses, spec, length, layout, static,
                                       inside=True)(job.packed)
    trajectory = collect(_Launched(trace, job.n, job.steps, job.batched))
    grads = np.asarray(grads)[0, :steps]
    leaves = {}
    for path, leaf in jax.tree_util.tree_leaves_with_path(states["optimizer"]):
        arr = np.asarray(leaf)[0, :steps]
        if arr.ndim >= 1 and arr.dtype.kind == "f":
            # optax allocates some state (L-BFGS's memory weights, its line search's
            # errors) in the default float dtype: float64 under jax_enable_x64.
            leaves[_leaf_name(path)] = arr.astype(np.float32, copy=False)
    return Inside(trajectory, grads, np.diff(trajectory.path, axis=0), leaves)
