// The stage's plots: each a plotly figure sent by the server (views/stage.py) whose
// moving traces are named by role in its `bind`. Drawing fills the bound traces from the
// runs; a frame moves only the trails and markers; a scrub or a drag swaps one racer's
// whole path for one the server computed ahead (a ladder notch, a grid start).

import { Channel } from "./channel.js";
import { row, column } from "./payload.js";
import { labelSlots, stackedLabel } from "./labels.js";
import { exactRun, previewRun, seek } from "./runs.js";
import { fitCamera, narrowed } from "./screen.js";
import { dress } from "./theme.js";

const CONFIG = { displaylogo: false, scrollZoom: true, responsive: true,
                 modeBarButtonsToRemove: ["select2d", "lasso2d"] };

export class Views {
  constructor(Plotly, parts) {
    this.Plotly = Plotly;
    this.parts = parts;
    this.channels = {};
    this.shapes = {};
    this.chartDimmed = false;
    this.dressing = { theme: { text: "#31333f" }, recolor: new Map(), narrow: false };
  }

  // The page's theme or the screen's width class changed: every plot drawn again for
  // it, at frame `j`.
  async redress(dressing, j) {
    this.dressing = dressing;
    if (!this.message) return;
    this.shapes = {};
    await this.draw(this.message, this.surface);
    this.frame(j);
  }

  // A new race: a plot whose figure (layout and trace styles) is unchanged gets only the
  // new runs (a slider or the start moved); any other plot is drawn anew.
  async draw(message, surface) {
    const previous = this.message;
    this.message = message;
    this.runs = message.racers.map((_, i) => exactRun(message, i));
    this.start = message.start.slice();
    this.frameIndex = message.frame;
    const fresh = !previous || this.surface !== surface;
    this.surface = surface;
    const fills = { map: (t, l) => this.fillMap(t, l), chart: (t) => this.fillChart(t),
                    scene: (t) => this.fillScene(t), marks: (t) => this.fillMarks(t),
                    panel: () => {} };
    const kept = [];
    for (const name of Object.keys(fills)) {
      const figure = message.plots[name];
      const shape = figure ? JSON.stringify([figure.layout, figure.traces]) : "";
      if (!fresh && shape && shape === this.shapes[name]) {
        kept.push(name);
        continue;
      }
      this.shapes[name] = shape;
      delete this.channels[name];
      await this.react(name, figure, fills[name]);
      if (name === "map") this.drawnDivergence = null;
    }
    // A released drag is answered by this message: its runs replace the previews.
    this.dragFrom = null;
    if (!kept.includes("chart")) this.chartDimmed = false;
    else this.dimChart(false);
    if (!kept.length) return;
    if (kept.includes("map")) this.restyleDivergence();
    this.runs.forEach((run, i) => this.swap(i, run));
    this.send("map", new Map([[message.plots.map.bind.start, { x: [this.start[0]], y: [this.start[1]] }]]));
    this.frame(this.frameIndex);
  }

  async react(name, figure, fill) {
    // An ended stage's plots stay purged (a redraw begun before the end must not revive
    // one, nor load the surface's image from its revoked URL).
    if (this.ended) return;
    const div = this.parts[name];
    if (name === "scene") this.camerasLinked = false;
    if (!figure) {
      this.Plotly.purge(div);
      div.hidden = true;
      return;
    }
    div.hidden = false;
    const traces = figure.traces.map((t) => ({ ...t }));
    const layout = JSON.parse(JSON.stringify(figure.layout));
    fill(traces, layout);
    dress(layout, traces, this.dressing.theme, this.dressing.recolor);
    if (this.dressing.narrow) narrowed(name, layout, traces);
    fitCamera(div, layout);
    if (name === "scene") this.fittedEye = { ...layout.scene.camera.eye };
    const config = this.dressing.narrow ? { ...CONFIG, displayModeBar: false } : CONFIG;
    await this.Plotly.react(div, traces, layout, config);
  }

  imageUrl() {
    const surface = this.surface;
    if (!surface.url) {
      const image = surface.image;
      surface.url = URL.createObjectURL(new Blob([image], { type: image.mime }));
    }
    return surface.url;
  }

  fillMap(traces, layout) {
    const bind = this.message.plots.map.bind;
    layout.images[0].source = this.imageUrl();
    this.runs.forEach((run, i) => {
      for (const k of bind.paths[i]) Object.assign(traces[k], { x: run.x, y: run.y });
    });
    Object.assign(traces[bind.start], { x: [this.start[0]], y: [this.start[1]] });
    this.divergence().forEach((mark, k) => Object.assign(traces[k], mark));
    this.moving(this.frameIndex).map.forEach((update, k) => Object.assign(traces[k], update));
  }

  // The × where each run diverged, with its words (empty for a run that did not); words
  // of marks that meet are listed, one line each (labelSlots).
  divergence() {
    const bind = this.message.plots.map.bind;
    const points = this.message.racers.map((racer, i) => {
      const d = racer.diverged_at;
      const path = this.message.runs[i].path;
      return d === null || d === undefined ? null : [path[2 * d], path[2 * d + 1]];
    });
    const slots = labelSlots(points, this.message.domain);
    const middle = (this.message.domain[1][0] + this.message.domain[1][1]) / 2;
    const out = new Map();
    this.message.racers.forEach((racer, i) => {
      const p = points[i];
      if (p === null) {
        out.set(bind.divergence[i], { x: [], y: [], text: [""], textposition: "top center",
                                      hovertemplate: "" });
        return;
      }
      const [text, position] = stackedLabel(racer.diverged, slots[i], p[1] > middle);
      out.set(bind.divergence[i], { x: [p[0]], y: [p[1]], text: [text], textposition: position,
                                    hovertemplate: `${racer.diverged}<extra></extra>` });
    });
    return out;
  }

  // Words do not animate: the marks are restyled, and only when they change.
  restyleDivergence() {
    const marks = this.divergence();
    const signature = JSON.stringify([...marks.values()].map((m) => [m.text, Array.from(m.x)]));
    if (signature === this.drawnDivergence) return;
    this.drawnDivergence = signature;
    const keys = [...marks.keys()];
    const values = [...marks.values()];
    const change = {};
    for (const field of ["x", "y", "text", "textposition", "hovertemplate"]) {
      change[field] = values.map((m) => m[field]);
    }
    this.Plotly.restyle(this.parts.map, change, keys);
  }

  fillChart(traces) {
    const bind = this.message.plots.chart.bind;
    this.runs.forEach((run, i) => Object.assign(traces[bind.lines[i]], { x: run.at, y: run.chart }));
    this.moving(this.frameIndex).chart.forEach((update, k) => Object.assign(traces[k], update));
  }

  fillScene(traces) {
    const bind = this.message.plots.scene.bind;
    const mesh = this.surface.mesh;
    const n = mesh.x.length;
    const z = [];
    for (let r = 0; r < mesh.y.length; r++) z.push(mesh.z.subarray(r * n, (r + 1) * n));
    Object.assign(traces[bind.surface], { x: mesh.x, y: mesh.y, z,
      cmin: this.surface.colorbar.vmin, cmax: this.surface.colorbar.vmax });
    this.runs.forEach((run, i) => Object.assign(traces[bind.lines[i]],
      { x: run.x, y: run.y, z: run.height }));
  }

  fillMarks(traces) {
    this.moving(this.frameIndex).marks.forEach((update, k) => Object.assign(traces[k], update));
    this.linkCameras();
  }

  // The markers' scene lies over the mesh's, transparent, at the same camera: the user
  // turns the one below, and the one above follows.
  linkCameras() {
    if (this.camerasLinked) return;
    this.camerasLinked = true;
    const follow = (event) => {
      if (!this.message.plots.marks) return;
      if (!Object.keys(event).some((k) => k.startsWith("scene.camera"))) return;
      // A turn in progress reports its whole camera; a finished one may name only a part.
      const camera = event["scene.camera"]
        || JSON.parse(JSON.stringify(this.parts.scene._fullLayout.scene.camera));
      this.Plotly.relayout(this.parts.marks, { "scene.camera": camera });
    };
    this.parts.scene.on("plotly_relayouting", follow);
    this.parts.scene.on("plotly_relayout", follow);
  }

  // The moving traces' data at frame j, plot by plot: Map(trace index -> {x, y[, z]}).
  moving(j) {
    const message = this.message;
    const step = message.frames[j];
    const lo = message.frames[Math.max(0, j - message.trail)];
    const plots = message.plots;
    const out = { map: new Map(), chart: new Map(), marks: new Map() };
    this.runs.forEach((run, i) => {
      const a = Math.min(seek(run.at, step), run.at.length - 1);
      const b = Math.min(seek(run.at, lo), a);
      out.map.set(plots.map.bind.trails[i], { x: run.x.slice(b, a + 1), y: run.y.slice(b, a + 1) });
      out.map.set(plots.map.bind.markers[i], { x: [run.x[a]], y: [run.y[a]] });
      out.chart.set(plots.chart.bind.markers[i], { x: [run.at[a]], y: [run.chart ? run.chart[a] : null] });
      if (plots.marks && run.height) {
        out.marks.set(plots.marks.bind.markers[i], { x: [run.x[a]], y: [run.y[a]], z: [run.height[a]] });
      }
    });
    return out;
  }

  send(name, updates) {
    if (this.ended || !updates.size || !this.message.plots[name]) return;
    if (!this.channels[name]) {
      const three = name === "scene" || name === "marks";
      // Each 3D update's time to its paint is marked, for bench/bench_browser.py.
      const onPainted = name === "marks"
        ? (ms) => performance.mark("stage-3d", { detail: ms }) : null;
      this.channels[name] = new Channel(this.Plotly, this.parts[name], { redraw: three, onPainted });
    }
    this.channels[name].send(updates);
  }

  frame(j) {
    this.frameIndex = j;
    const updates = this.moving(j);
    this.send("map", updates.map);
    this.send("chart", updates.chart);
    this.send("marks", updates.marks);
    this.panelFrame(j);
  }

  panelFrame(j) {
    const panel = this.message.plots.panel;
    if (!panel || this.runs[0].preview) return;
    const r = Math.min(seek(panel.arrays.steps, this.message.frames[j]), panel.arrays.steps.length - 1);
    const updates = new Map();
    const fit = row(panel.arrays.fits, r);
    updates.set(panel.bind.fit, { x: column(fit, 0), y: column(fit, 1) });
    if (panel.bind.regions >= 0 && panel.arrays.regions) {
      const region = row(panel.arrays.regions, r);
      updates.set(panel.bind.regions, { x: column(region, 0), y: column(region, 1) });
    }
    this.send("panel", updates);
  }

  // One racer's whole path (and chart line, and 3D line) becomes `run`; its marker and
  // trail follow with the frame update that comes with every swap.
  swap(i, run) {
    const plots = this.message.plots;
    this.runs[i] = run;
    const [halo, line] = plots.map.bind.paths[i];
    const mark = plots.map.bind.divergence[i];
    // A preview hides the exact run's × (it belongs to the run being replaced).
    const cross = run.preview ? { x: [], y: [] } : this.divergence().get(mark);
    this.send("map", new Map([[halo, { x: run.x, y: run.y }], [line, { x: run.x, y: run.y }],
                              [mark, { x: cross.x, y: cross.y }]]));
    if (run.chart) this.send("chart", new Map([[plots.chart.bind.lines[i], { x: run.at, y: run.chart }]]));
    if (plots.scene && run.height) {
      this.send("scene", new Map([[plots.scene.bind.lines[i], { x: run.x, y: run.y, z: run.height }]]));
    }
  }

  scrub(ladder, notch) {
    const run = previewRun(row(ladder.path, notch), row(ladder.chart, notch),
                           ladder.height ? row(ladder.height, notch) : null, ladder.steps,
                           ladder.diverged[notch], this.message.logChart);
    this.swap(ladder.racer, run);
    this.frame(this.frameIndex);
  }

  startPoint() {
    return this.start;
  }

  // While dragging, the chart (of the exact runs) is dimmed: the previews carry no chart.
  beginDrag() {
    this.dragFrom = this.start.slice();
    this.dimChart(true);
  }

  dimChart(dim) {
    if (this.chartDimmed === dim) return;
    this.chartDimmed = dim;
    this.Plotly.restyle(this.parts.chart, { opacity: dim ? 0.25 : 1 });
  }

  // The runs from the grid start nearest the pointer (the grid is n × n over the domain).
  drag(grid, point) {
    this.start = point.slice();
    const bind = this.message.plots.map.bind;
    if (!grid) {
      this.send("map", new Map([[bind.start, { x: [point[0]], y: [point[1]] }]]));
      return;
    }
    const [[x0, x1], [y0, y1]] = this.message.domain;
    const n = grid.n;
    const ix = Math.min(n - 1, Math.max(0, Math.round(((point[0] - x0) / (x1 - x0)) * (n - 1))));
    const iy = Math.min(n - 1, Math.max(0, Math.round(((point[1] - y0) / (y1 - y0)) * (n - 1))));
    const g = iy * n + ix;
    this.send("map", new Map([[bind.start, { x: [grid.starts[2 * g]], y: [grid.starts[2 * g + 1]] }]]));
    this.runs.forEach((_, i) => {
      const paths = row(grid.path, i);
      const diverged = grid.diverged[i * n * n + g];
      this.swap(i, previewRun(row(paths, g), null, null, grid.steps, diverged, false));
    });
    this.frame(this.frameIndex);
    this.drags = (this.drags || 0) + 1;
  }

  endDrag() {
    this.start = this.dragFrom || this.start;
    this.message.racers.forEach((_, i) => this.swap(i, exactRun(this.message, i)));
    this.dimChart(false);
    this.frame(this.frameIndex);
  }

  // The plots' cells changed size (presenter mode follows the window, a phone turns).
  resize() {
    for (const div of Object.values(this.parts)) {
      if (!div.hidden && div.data) this.Plotly.Plots.resize(div);
    }
    this.refitCamera();
  }

  // The 3D camera fitted again to the scene's new box, if it is still the one the stage
  // fitted (a camera the user turned stays theirs).
  refitCamera() {
    const figure = this.message && this.message.plots.scene;
    const div = this.parts.scene;
    if (!figure || div.hidden || !div._fullLayout || !this.fittedEye) return;
    const eye = div._fullLayout.scene.camera.eye;
    const same = (a, b) => ["x", "y", "z"].every((k) => Math.abs(a[k] - b[k]) < 1e-6);
    if (!same(eye, this.fittedEye)) return;
    const layout = { scene: { camera: JSON.parse(JSON.stringify(figure.layout.scene.camera)) } };
    fitCamera(div, layout);
    if (same(layout.scene.camera.eye, eye)) return;
    this.fittedEye = { ...layout.scene.camera.eye };
    for (const name of ["scene", "marks"]) {
      if (this.parts[name].data) this.Plotly.relayout(this.parts[name], { "scene.camera": layout.scene.camera });
    }
  }

  purge() {
    this.ended = true;
    for (const div of Object.values(this.parts)) this.Plotly.purge(div);
    if (this.surface && this.surface.url) URL.revokeObjectURL(this.surface.url);
  }
}
