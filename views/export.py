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
  same schedule formula, clip_by_global_norm, the same gradient-noise draw, the same
  extra update arguments and the surface's f*) and saves its path: the points the app
  draws (schedule-free's evaluation point, Lookahead's slow weights).
- GIF: the contour image with the paths drawn by Pillow, one frame per animation
  frame. (MP4 would need an ffmpeg binary; a browser-free GIF needs only Pillow.)
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import math

import numpy as np

from compute import Result, frame_steps
from optimizers import OPTIMIZERS, bucket_steps
from optimizers.schedules import OPTAX_EQUIVALENT, schedule_factor
from scene import SCHEMA_VERSION, Scene, query_string
from views.image import color_values, contour_rgba
from views.style import hex_to_rgb, style_of

#: ``racer`` is the racer's position in the link (``r1``…): one optimizer may race twice.
CSV_COLUMNS = ("racer", "label", "optimizer", "step", "x", "y", "f", "grad_norm",
               "learning_rate")


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
            writer.writerow((run.key, run.name, run.slug, t, _n(run.path[t, 0]), _n(run.path[t, 1]),
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
            "racer": run.key,
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


def _self_contained_source(fn) -> str:
    """The source of ``fn`` with the module-level functions and number constants of its
    own module that it uses (recursively), so that it runs pasted into a script."""
    module = inspect.getmodule(fn)
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
    return (head + "\n\n" if head else "") + "\n\n\n".join(parts) + "\n"


def _factory(slug: str) -> tuple[str, str]:
    """The optax factory's expression and any definition it needs."""
    spec = OPTIMIZERS[slug]
    if spec.script:
        return slug, spec.script
    return spec.factory_path, ""


#: The script's text for each word of ``OptimizerSpec.needs`` (the engine's
#: ``UPDATE_ARGUMENTS``): names as the script's ``update`` defines them.
_UPDATE_ARGUMENTS = {
    "value": "value=value, grad=g, value_fn=lambda q: f(q, params)",
    "hessian": "hessian=jax.hessian(f)(p, params)",
    "obj_fn": "obj_fn=lambda q: f(q, params)",
    "key": "key=jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(SEED), 2), t)",
    "grad_fn": "grad_fn=lambda q, i: jax.grad(loss_t)(q) + NOISE * xi_t",
}


def _f32_dict(values) -> str:
    return "{" + ", ".join(f"{k!r}: f32({v!r})" for k, v in values.items()) + "}"


def _docstring(scene: Scene, spec, landscape, link: str, own_code: bool) -> list[str]:
    where = f"\n{link}" if link else f"\n?{query_string(scene)}"
    return [f'"""{spec.name} on {landscape.name}, as the optimizer playground runs it.', "",
            "Reproduces the first optimizer of the link" + where,
            "step for step (to float32 rounding) with optax, and saves its path to",
            "path.csv. Needs numpy, jax and optax"
            + (", and the app's folder (for the surface)." if own_code else "."),
            "The app stops a run that diverges and freezes its point; this loop goes on.",
            '"""', "", "import jax", "import jax.numpy as jnp", "import numpy as np",
            "import optax", ""]


def _surface_lines(setup, landscape) -> list[str]:
    """The loss ``f(p, params)``: a classic surface's own source, else the app's code."""
    params = f"PARAMS = {_f32_dict(landscape.param_values)}"
    module = inspect.getmodule(landscape.loss)
    if module is not None and module.__name__ == "landscapes.classic":
        return ["f32 = np.float32", "", "", f"# -- the surface: {landscape.name} --", "",
                _self_contained_source(landscape.loss).rstrip(), "", "", params, "", "",
                "def f(p, params):", f"    return {landscape.loss.__name__}(p, params)", ""]
    if setup.surface == "formula":
        made = f"LANDSCAPE = from_formula({setup.formula!r})"
    else:
        args = ", ".join(f"{k}={v!r}" for k, v in landscape.param_values.items())
        made = f"LANDSCAPE = LANDSCAPES[{setup.surface!r}].bind({args})"
    return ["from landscapes import LANDSCAPES, from_formula", "", "f32 = np.float32", "",
            f"# -- the surface: {landscape.name} (the app's own code) --", made, params, "",
            "", "def f(p, params):", "    return LANDSCAPE.loss(p, params)", ""]


def _run_lines(setup, spec, lr: float) -> list[str]:
    """The run's constants, the noise drawn as the engine draws it, and the schedule."""
    factor = schedule_factor(setup.schedule)
    return ["", f"# -- the run: {spec.name}, {setup.steps} steps --",
            f"STEPS = {setup.steps}",
            f"START = jnp.array([{setup.start[0]!r}, {setup.start[1]!r}], jnp.float32)",
            f"LR = f32({lr!r})",
            f"SCHEDULE = {_f32_dict(dict(setup.schedule_params))}",
            f"NOISE = f32({setup.noise!r})  # σ of the Gaussian noise added to each gradient",
            f"SEED = {setup.seed}",
            "# The engine draws the noise of a whole run at once, for its padded length:",
            f"XI = jax.random.normal(jax.random.PRNGKey(SEED), ({bucket_steps(setup.steps)}, "
            "2), jnp.float32)", "", "",
            _self_contained_source(factor).rstrip(), "", "",
            f"def schedule(count):  # {setup.schedule}: as {OPTAX_EQUIVALENT[setup.schedule]}",
            "    t = jnp.asarray(count, jnp.float32)",
            f"    return LR * {factor.__name__}(t, jnp.float32(STEPS), SCHEDULE)", ""]


def _optimizer_lines(setup, slug: str, others: dict[str, float]) -> list[str]:
    factory, definition = _factory(slug)
    kwargs = "".join(f", {k}=f32({v!r})" for k, v in others.items())
    lines = [definition.rstrip(), ""] if definition else []
    lines += ["", f"optimizer = optax.inject_hyperparams({factory})(learning_rate=schedule"
                  f"{kwargs})"]
    if setup.clip_norm is not None:
        lines.append(f"optimizer = optax.chain(optax.clip_by_global_norm("
                     f"f32({setup.clip_norm!r})), optimizer)")
    return lines


def _drawn_lines(spec, clipped: bool) -> list[str]:
    """``drawn(p, state)``: the point the app draws (``OptimizerSpec.shown``) from the
    parameters and the optimizer's own state."""
    if spec.shown is None:
        return ["", "", "def drawn(p, state):  # the parameters themselves", "    return p"]
    own = "state[1].inner_state" if clipped else "state.inner_state"
    return ["", "", inspect.getsource(spec.shown).rstrip(), "", "",
            "def drawn(p, state):  # the point the app draws, from the optimizer's own state",
            f"    return {spec.shown.__name__}(p, {own})"]


def _loop_lines(spec, stochastic: bool) -> list[str]:
    extra = "".join(f", {_UPDATE_ARGUMENTS[word]}" for word in sorted(spec.needs))
    lines = ["", "", "@jax.jit", "def update(p, state, t, xi_t, params):",
             "    value, g = jax.value_and_grad(f)(p, params)"]
    if stochastic:
        lines += ["    # a minibatch gradient, from the same key stream as the app's",
                  "    batch_key = jax.random.fold_in(jax.random.fold_in("
                  "jax.random.PRNGKey(SEED), 1), t)",
                  "    loss_t = lambda q: LANDSCAPE.stochastic_loss(q, params, batch_key)  "
                  "# noqa: E731",
                  "    g = jax.grad(loss_t)(p)"]
    else:
        lines += ["    loss_t = lambda q: f(q, params)  # noqa: E731"]
    lines += [
        "    g = g + NOISE * xi_t", f"    updates, state = optimizer.update(g, state, p{extra})",
        "    return optax.apply_updates(p, updates), state", "", "",
        "p, state = START, optimizer.init(START)", "path = [np.asarray(drawn(p, state))]",
        "for t in range(STEPS):", "    p, state = update(p, state, t, XI[t], PARAMS)",
        "    path.append(np.asarray(drawn(p, state)))", "path = np.stack(path)",
        'np.savetxt("path.csv", path, delimiter=",", header="x,y", comments="", fmt="%.9g")',
        'print(f"after {STEPS} steps: p = {path[-1]}, f = {f(path[-1], PARAMS):.6g}")', ""]
    return lines


def python_snippet(scene: Scene, link: str = "") -> str:
    """A runnable script (numpy, jax, optax) that reproduces the first racer of
    ``scene`` step for step, to float32 rounding, and saves its path to path.csv."""
    setup = scene.setup
    landscape = setup.landscape()
    racer = setup.racers[0]
    spec = OPTIMIZERS[racer.slug]
    values = {**racer.values, **spec.from_surface(landscape.min_value)}
    lr = values.pop("learning_rate")
    surface = _surface_lines(setup, landscape)
    own_code = surface[0].startswith("from landscapes")
    body = (surface + _run_lines(setup, spec, lr) + _optimizer_lines(setup, racer.slug, values)
            + _drawn_lines(spec, setup.clip_norm is not None)
            + _loop_lines(spec, landscape.stochastic_loss is not None))
    head = _docstring(scene, spec, landscape, link, own_code)
    if any("math." in line for line in body):
        head.insert(head.index("import jax"), "import math\n")
    return "\n".join(head + body)


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
