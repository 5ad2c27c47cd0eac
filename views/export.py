"""Exports of the current view: a standalone HTML animation, the trajectories as CSV and
JSON, a runnable optax script that reproduces the first racer, and an animated GIF.

All pure functions of the Scene, its Result and the figure dict (numpy, plotly.io and
Pillow; no JAX, no Streamlit): the page hands them to download buttons, which call them
only when clicked.

- HTML: ``plotly.io.to_html`` with plotly.js embedded (plotly.py's own bundle), so the
  file plays offline: the figure's arrays are base64 typed arrays and its background is
  a data-URI PNG, nothing is fetched.
- CSV: one row per optimizer and step, ``optimizer, step, x, y, f, grad_norm,
  learning_rate`` (``learning_rate`` is η_t of the update that leaves that step, empty on
  the last row). Numbers are written with 9 significant digits: float32 reads back
  exactly.
- JSON: the same numbers per run, with the share link's query string and its schema
  version, so the file says how to reproduce it.
- Python: a script of a few dozen lines (numpy, jax, optax) that runs the first racer
  the way the engine does (optax.inject_hyperparams with float32 hyperparameters, the
  same schedule formula, clip_by_global_norm, the same gradient-noise draw) and saves
  its path.
- GIF: the contour image with the paths drawn by Pillow, one frame per animation
  frame. (MP4 would need an ffmpeg binary; a browser-free GIF needs only Pillow.)
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import math
import textwrap

import numpy as np

from compute import Result, frame_steps
from optimizers import OPTIMIZERS, bucket_steps
from scene import SCHEMA_VERSION, Scene, query_string
from views.image import color_values, contour_rgba
from views.style import hex_to_rgb, style_of

CSV_COLUMNS = ("optimizer", "step", "x", "y", "f", "grad_norm", "learning_rate")


def _n(value) -> str:
    """A float32 as text that reads back as the same float32."""
    return f"{float(value):.9g}"


def _jn(value) -> float | None:
    v = float(value)
    return float(f"{v:.9g}") if math.isfinite(v) else None


# -- HTML ------------------------------------------------------------------------------------


def figure_html(figure: dict, title: str = "Optimizer playground") -> str:
    """The animation as one standalone HTML page with plotly.js embedded (plays
    offline; press ▶ Play)."""
    import plotly.io as pio

    html = pio.to_html(figure, include_plotlyjs=True, full_html=True, auto_play=False,
                       include_mathjax=False, default_width="100%",
                       default_height=f"{figure['layout'].get('height', 700)}px",
                       config={"displaylogo": False, "scrollZoom": True})
    safe = (title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return html.replace("<head>", f"<head><title>{safe}</title>", 1)


# -- CSV and JSON -----------------------------------------------------------------------------


def trajectories_csv(result: Result) -> str:
    """Every run's path, loss, gradient norm and learning rate, one row per step."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for run in result.runs:
        steps = run.path.shape[0] - 1
        for t in range(steps + 1):
            lr = _n(run.learning_rate[t]) if t < steps else ""
            writer.writerow((run.slug, t, _n(run.path[t, 0]), _n(run.path[t, 1]),
                             _n(run.loss[t]), _n(run.grad_norm[t]), lr))
    return out.getvalue()


def trajectories_json(scene: Scene, result: Result, base_url: str = "") -> str:
    """The runs with the link that reproduces them (query string and schema version)."""
    query = query_string(scene)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "query": query,
        "link": f"{base_url}?{query}",
        "surface": result.surface.title,
        "steps": result.steps,
        "start": [float(v) for v in result.start],
        "runs": [{
            "optimizer": run.slug,
            "name": run.name,
            "hparams": run.hparams,
            "diverged_at": run.diverged_at,
            "steps_to_tolerance": run.steps_to_tolerance,
            "x": [_jn(v) for v in run.path[:, 0]],
            "y": [_jn(v) for v in run.path[:, 1]],
            "f": [_jn(v) for v in run.loss],
            "grad_norm": [_jn(v) for v in run.grad_norm],
            "learning_rate": [_jn(v) for v in run.learning_rate],
        } for run in result.runs],
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


# -- the optax script --------------------------------------------------------------------------

_SCHEDULES = {
    "constant": "    return LR * jnp.ones_like(t)",
    "step": "    return LR * (DECAY_RATE ** jnp.floor(t / TRANSITION_STEPS))",
    "exponential": "    return LR * (DECAY_RATE ** (t / TRANSITION_STEPS))",
    "cosine": "    return LR * _cosine(t, STEPS, ALPHA)",
    "warmup_cosine": (
        "    warm = jnp.maximum(WARMUP_STEPS, 1e-9)\n"
        "    decay = _cosine(t - WARMUP_STEPS, jnp.maximum(STEPS - WARMUP_STEPS, 1.0), ALPHA)\n"
        "    return LR * jnp.where(t < WARMUP_STEPS, t / warm, decay)"),
}
_OPTAX_EQUIVALENT = {
    "constant": "optax.constant_schedule(LR)",
    "step": "optax.exponential_decay(LR, TRANSITION_STEPS, DECAY_RATE, staircase=True)",
    "exponential": "optax.exponential_decay(LR, TRANSITION_STEPS, DECAY_RATE)",
    "cosine": "optax.cosine_decay_schedule(LR, STEPS, ALPHA)",
    "warmup_cosine": "optax.warmup_cosine_decay_schedule(0, LR, WARMUP_STEPS, STEPS, "
                     "ALPHA * LR)",
}
_COSINE = '''
def _cosine(t, horizon, alpha):
    frac = jnp.clip(t, 0.0, horizon) / jnp.maximum(horizon, 1.0)
    return (1.0 - alpha) * 0.5 * (1.0 + jnp.cos(jnp.pi * frac)) + alpha
'''
_FACTORIES = {
    "nesterov": '''
def nesterov(learning_rate, momentum):
    return optax.sgd(learning_rate, momentum=momentum, nesterov=True)
''',
    "lbfgs": '''
def lbfgs(learning_rate):
    return optax.lbfgs(learning_rate=learning_rate, memory_size=10)
''',
    "newton": '''
def newton(learning_rate, damping):
    """Damped Newton's method (optax has none): update = -η (H + λI)⁻¹ g."""

    def init_fn(params):
        return optax.EmptyState()

    def update_fn(updates, state, params=None, *, hessian, **extra):
        damped = hessian + damping * jnp.eye(hessian.shape[-1], dtype=hessian.dtype)
        return -learning_rate * jnp.linalg.solve(damped, updates), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)
''',
}


def _factory(slug: str) -> tuple[str, str]:
    """The optax factory's expression and any definition it needs."""
    spec = OPTIMIZERS[slug]
    name = getattr(spec.factory, "__name__", "")
    import optax

    if getattr(optax, name, None) is spec.factory:
        return f"optax.{name}", ""
    return slug, _FACTORIES[slug]


def _loss_source(landscape) -> tuple[str, str] | None:
    """Self-contained source of a landscape's loss (a function of landscapes/classic.py
    and the module-level helpers and constants it uses), with its name; ``None`` where
    the loss is not such a function (a typed formula, a network)."""
    fn = landscape.loss
    module = inspect.getmodule(fn)
    if module is None or module.__name__ != "landscapes.classic":
        return None
    parts: list[str] = []
    constants: dict[str, float] = {}
    seen: set[str] = set()

    def visit(f) -> None:
        if f.__name__ in seen:
            return
        seen.add(f.__name__)
        for name in f.__code__.co_names:
            obj = module.__dict__.get(name)
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                visit(obj)
            elif isinstance(obj, int | float) and not isinstance(obj, bool):
                constants[name] = obj
        parts.append(inspect.getsource(f).rstrip())

    visit(fn)
    head = "".join(f"{name} = {value!r}\n" for name, value in sorted(constants.items()))
    return (head + "\n\n" if head else "") + "\n\n\n".join(parts) + "\n", fn.__name__


def python_snippet(scene: Scene, link: str = "") -> str:
    """A runnable script (numpy, jax, optax) that reproduces the first racer of
    ``scene`` step for step, to float32 rounding, and saves its path to path.csv."""
    setup = scene.setup
    landscape = setup.landscape()
    racer = setup.racers[0]
    spec = OPTIMIZERS[racer.slug]
    factory, definition = _factory(racer.slug)
    params = landscape.param_values
    sp = dict(setup.schedule_params)
    lr = racer.values["learning_rate"]
    others = {k: v for k, v in racer.values.items() if k != "learning_rate"}
    source = _loss_source(landscape)
    stochastic = landscape.stochastic_loss is not None

    lines = [f'"""{spec.name} on {landscape.name}, as the optimizer playground runs it.',
             "",
             "Reproduces the first optimizer of the link" + (f"\n{link}" if link else
                                                            f"\n?{query_string(scene)}"),
             "step for step (to float32 rounding) with optax, and saves its path to",
             "path.csv. Needs numpy, jax and optax"
             + (", and the app's folder (for the surface)." if source is None else "."),
             "The app stops a run that diverges and freezes its point; this loop goes on.",
             '"""', "", "import jax", "import jax.numpy as jnp", "import numpy as np",
             "import optax", ""]
    if source is not None:
        code, name = source
        if "math" in code:
            lines[lines.index("import jax")] = "import math\n\nimport jax"
        lines += ["f32 = np.float32", "", "", f"# -- the surface: {landscape.name} --", "",
                  code.rstrip(), "", "",
                  f"PARAMS = {{{', '.join(f'{k!r}: f32({v!r})' for k, v in params.items())}}}",
                  "", "", "def f(p, params):", f"    return {name}(p, params)", ""]
    else:
        lines += ["from landscapes import LANDSCAPES, from_formula", "", "f32 = np.float32",
                  "", f"# -- the surface: {landscape.name} (the app's own code) --"]
        if setup.surface == "formula":
            lines.append(f"LANDSCAPE = from_formula({setup.formula!r})")
        else:
            args = ", ".join(f"{k}={v!r}" for k, v in params.items())
            lines.append(f"LANDSCAPE = LANDSCAPES[{setup.surface!r}].bind({args})")
        lines += [f"PARAMS = {{{', '.join(f'{k!r}: f32({v!r})' for k, v in params.items())}}}",
                  "", "", "def f(p, params):", "    return LANDSCAPE.loss(p, params)", ""]

    lines += ["", f"# -- the run: {spec.name}, {setup.steps} steps --",
              f"STEPS = {setup.steps}",
              f"START = jnp.array([{setup.start[0]!r}, {setup.start[1]!r}], jnp.float32)",
              f"LR = f32({lr!r})"]
    for name in ("decay_rate", "transition_steps", "warmup_steps", "alpha"):
        lines.append(f"{name.upper()} = f32({sp[name]!r})")
    lines += [f"NOISE = f32({setup.noise!r})  # σ of the Gaussian noise added to each gradient",
              f"SEED = {setup.seed}",
              "# The engine draws the noise of a whole run at once, for its padded length:",
              f"XI = jax.random.normal(jax.random.PRNGKey(SEED), ({bucket_steps(setup.steps)}, 2))"
              ]
    if setup.schedule in ("cosine", "warmup_cosine"):
        lines.append(_COSINE.rstrip())
    lines += ["", "",
              f"def schedule(count):  # {setup.schedule}: as "
              f"{_OPTAX_EQUIVALENT[setup.schedule]}",
              "    t = jnp.asarray(count, jnp.float32)",
              _SCHEDULES[setup.schedule], ""]
    if definition:
        lines += [definition.rstrip(), ""]
    kwargs = "".join(f", {k}=f32({v!r})" for k, v in others.items())
    lines += ["", f"optimizer = optax.inject_hyperparams({factory})(learning_rate=schedule"
                  f"{kwargs})"]
    if setup.clip_norm is not None:
        lines.append(f"optimizer = optax.chain(optax.clip_by_global_norm(f32({setup.clip_norm!r})),"
                     " optimizer)")
    extra = ""
    if "hessian" in spec.needs:
        extra = ", hessian=jax.hessian(f)(p, params)"
    elif "value" in spec.needs:
        extra = ", value=value, grad=g, value_fn=lambda q: f(q, params)"
    grad_line = "    value, g = jax.value_and_grad(f)(p, params)"
    lines += ["", "", "@jax.jit", "def update(p, state, t, xi_t, params):", grad_line]
    if stochastic:
        lines += ["    # a minibatch gradient, from the same key stream as the app's",
                  "    key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(SEED), 1),"
                  " t)",
                  "    g = jax.grad(lambda q: LANDSCAPE.stochastic_loss(q, params, key))(p)"]
    lines += ["    g = g + NOISE * xi_t",
              f"    updates, state = optimizer.update(g, state, p{extra})",
              "    return optax.apply_updates(p, updates), state", "", "",
              "p, state = START, optimizer.init(START)",
              "path = [np.asarray(p)]",
              "for t in range(STEPS):",
              "    p, state = update(p, state, t, XI[t], PARAMS)",
              "    path.append(np.asarray(p))",
              "path = np.stack(path)",
              'np.savetxt("path.csv", path, delimiter=",", header="x,y", comments="", '
              'fmt="%.9g")',
              'print(f"after {STEPS} steps: p = {path[-1]}, f = {f(path[-1], PARAMS):.6g}")',
              ""]
    text = "\n".join(lines)
    return textwrap.dedent(text)


# -- GIF ---------------------------------------------------------------------------------------


def animation_gif(result: Result, size: int = 480, duration_ms: int = 60,
                  max_frames: int = 100) -> bytes:
    """The race on the contour map as an animated GIF (Pillow only: no browser).

    One palette for every frame (the map's 200 colours, then the racers' colours, white
    and black), so each frame after the first stores only what changed."""
    from PIL import Image, ImageDraw

    values, vmin, vmax, _ = color_values(result.surface.zs, result.surface.log_scale)
    background = Image.fromarray(contour_rgba(values, vmin, vmax), "RGBA").convert("RGB")
    (x0, x1), (y0, y1) = result.surface.domain
    aspect = (y1 - y0) / (x1 - x0)
    width, height = size, max(1, round(size * aspect))
    background = background.resize((width, height), Image.Resampling.BILINEAR)
    base = background.quantize(colors=200, method=Image.Quantize.MEDIANCUT)
    colors = [hex_to_rgb(style_of(i)["color"]) for i in range(len(result.runs))]
    palette = (base.getpalette() or [])[: 200 * 3]
    palette += [0] * (200 * 3 - len(palette))
    for rgb in (*colors, (255, 255, 255), (0, 0, 0)):
        palette += list(rgb)
    base.putpalette(palette + [0] * (768 - len(palette)))
    ink = {i: 200 + i for i in range(len(colors))}
    white, black = 200 + len(colors), 201 + len(colors)

    def pixel(path: np.ndarray) -> list[tuple[float, float]]:
        px = (path[:, 0] - x0) / (x1 - x0) * (width - 1)
        py = (y1 - path[:, 1]) / (y1 - y0) * (height - 1)
        return list(zip(px.tolist(), py.tolist(), strict=True))

    steps_at = frame_steps(result.steps)
    if len(steps_at) > max_frames:
        steps_at = steps_at[np.round(np.linspace(0, len(steps_at) - 1, max_frames))
                            .astype(int)]
    ends = [run.diverged_at if run.diverged_at is not None else result.steps
            for run in result.runs]
    frames = []
    for at in steps_at:
        img = base.copy()
        draw = ImageDraw.Draw(img)
        for i, (run, end) in enumerate(zip(result.runs, ends, strict=True)):
            pts = pixel(run.path[: int(min(at, end)) + 1])
            if len(pts) > 1:
                draw.line(pts, fill=white, width=5)
                draw.line(pts, fill=ink[i], width=3)
            x, y = pts[-1]
            draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=ink[i], outline=white)
        draw.rectangle((4, 4, 110, 24), fill=white)
        draw.text((10, 8), f"step {int(at)}", fill=black)
        y_text = height - 18 * len(result.runs) - 6
        for i, run in enumerate(result.runs):
            draw.rectangle((6, y_text, 18, y_text + 12), fill=ink[i])
            draw.text((24, y_text), run.name, fill=black)
            y_text += 18
        frames.append(img)
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=duration_ms, loop=0)
    return out.getvalue()
