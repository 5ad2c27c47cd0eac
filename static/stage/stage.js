// The race stage: holds the scene's data in the browser and moves only what moves.
//
// Four elements of the page feed it (ui/stage.py): the surface (sent once per surface),
// the race (the plots' figures, every run, the sliders to scrub), the ladders' runs
// (asked for once the race is drawn) and the drag grid (asked for when the pointer first
// nears the start). Plotly draws the map, the chart, the 3D view and a network's data
// panel, each in a plot of its own; this module binds the runs to their traces, plays
// them on one clock, and answers scrubbing and dragging from the runs the server already
// computed. It computes no optimizer and no loss.

import { drawLegend } from "./legend.js";
import { decode } from "./payload.js";
import { loadPlotly } from "./plotly_loader.js";
import { Player } from "./player.js";
import { Pointer } from "./pointer.js";
import { Scrubber } from "./scrub.js";
import * as store from "./store.js";
import { isNarrow } from "./screen.js";
import { readTheme, recoloring, themeName } from "./theme.js";
import { Views } from "./views.js";

// How often the stage looks for a change of the page's theme (Streamlit sets new CSS
// variables and tells a component nothing).
const THEME_POLL_MS = 1000;

const stages = new WeakMap();

class Stage {
  constructor(parent, setTriggerValue) {
    this.trigger = setTriggerValue;
    this.root = document.createElement("div");
    this.root.className = "stage";
    this.root.tabIndex = 0;
    this.root.innerHTML = `
      <div class="stage-controls"></div>
      <div class="stage-legend"></div>
      <div class="stage-plots">
        <div class="stage-map"></div><div class="stage-chart"></div>
        <div class="stage-scene"></div><div class="stage-marks"></div><div class="stage-panel"></div>
      </div>
      <div class="stage-scrubs"></div>`;
    parent.append(this.root);
    const part = (name) => this.root.querySelector(`.stage-${name}`);
    this.player = new Player(part("controls"), {
      onFrame: (j) => this.views && this.views.frame(j),
      onSettle: (j) => this.trigger("frame", j),
    });
    this.scrubber = new Scrubber(part("scrubs"), {
      onScrub: (k, notch) => this.scrub(k, notch),
      onRelease: (k, notch) => this.commit(this.message.scrubs[k], notch),
    });
    this.legend = part("legend");
    this.parts = { map: part("map"), chart: part("chart"), scene: part("scene"),
                   marks: part("marks"), panel: part("panel") };
    this.root.addEventListener("keydown", (e) => this.key(e));
    // Say when the drag grid and the ladders of the current race have arrived (for tests
    // and benchmarks); a scrub that began before its ladders shows them on arrival.
    this.onMessage = (e) => {
      if (!this.message) return;
      if (e.detail === this.message.grid) this.root.dataset.grid = "ready";
      if (e.detail === this.message.ladders) {
        this.root.dataset.ladders = "ready";
        if (this.pendingScrub) this.scrub(...this.pendingScrub);
      }
    };
    document.addEventListener("optplay-message", this.onMessage);
    this.themePoll = setInterval(() => this.followPage(), THEME_POLL_MS);
    // The stage's own size, not the window's: opening Streamlit's sidebar narrows it too.
    this.resizing = new ResizeObserver(() => {
      if (this.resizeQueued || !this.message) return;
      this.resizeQueued = true;
      requestAnimationFrame(() => {
        this.resizeQueued = false;
        if (this.message.fitScreen) this.fit();
        if (this.views) this.views.resize();
        this.followPage();
      });
    });
    this.resizing.observe(this.root);
    this.onResize = () => this.message && this.message.fitScreen && this.fit();
    window.addEventListener("resize", this.onResize);
  }

  // The theme of the page, the racers' colours in it, and whether the screen is narrow.
  dressing() {
    const theme = readTheme(this.root);
    const name = themeName(theme, this.message.darkBelow);
    const narrow = isNarrow(this.root);
    this.root.dataset.theme = name;
    this.root.dataset.narrow = narrow ? "yes" : "no";
    return { theme, name, narrow, recolor: recoloring(this.message, name),
             colors: this.message.palettes[name] };
  }

  async followPage() {
    if (!this.views || !this.message || !this.dressed || this.drawing > 0) return;
    if (readTheme(this.root).key === this.dressed.theme.key
        && isNarrow(this.root) === this.dressed.narrow) return;
    this.drawing += 1;
    this.root.dataset.busy = "yes";
    try {
      this.dressed = this.dressing();
      this.dressRacers(true);
      await this.views.redress(this.dressed, this.player.frame);
    } finally {
      this.idle();
    }
  }

  // The legend and the scrub sliders' swatches in the racers' colours of the theme
  // (`rebuild`: the sliders too, though the scrubs are unchanged).
  dressRacers(rebuild) {
    const racers = this.message.racers.map((r, i) => ({ ...r, color: this.dressed.colors[i] }));
    this.scrubber.load(racers, this.message.scrubs, rebuild);
    drawLegend(this.legend, racers);
  }

  key(event) {
    if (event.target.tagName === "INPUT" || event.target.tagName === "SELECT") return;
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      this.player.nudge(event.key === "ArrowRight" ? 1 : -1);
    } else if (event.key === " ") {
      event.preventDefault();
      this.player.playing ? this.player.pause() : this.player.play();
    }
  }

  // Scrub `k` at `notch`: its run over the ladder, computed ahead by the server.
  scrub(k, notch) {
    const ladders = store.get(this.message.ladders);
    if (!ladders) {
      this.pendingScrub = [k, notch];
      store.request("ladders", this.message.ladders);
      return;
    }
    this.pendingScrub = null;
    this.views.scrub({ ...this.message.scrubs[k], ...ladders.ladders[k] }, notch);
  }

  commit(scrub, notch) {
    this.pendingScrub = null;
    if (notch === scrub.current) return;
    this.trigger("commit", { racer: scrub.racer, name: scrub.name, index: notch,
                             value: scrub.values[notch] });
  }

  async show(message) {
    // Set while a message is being drawn (the page's tests wait for it to go).
    this.drawing = (this.drawing || 0) + 1;
    this.root.dataset.busy = "yes";
    const Plotly = await loadPlotly(message.plotly);
    const surface = await store.when(message.surface);
    if (this.destroyed) return;
    const same = this.message && this.message.id === message.id;
    this.message = message;
    this.root.dataset.view = message.view;
    this.root.dataset.panel = message.plots.panel ? "yes" : "no";
    this.root.dataset.fit = message.fitScreen ? "yes" : "no";
    if (!same) {
      if (!this.views) this.views = new Views(Plotly, this.parts);
      this.dressed = this.dressing();
      this.views.dressing = this.dressed;
      this.dressRacers(false);
      this.fit();
      await this.views.draw(message, surface);
      if (this.destroyed) return;
      this.attachPointer();
    }
    this.player.load(message.frames, message.steps, message.frame);
    this.root.dataset.grid = store.get(message.grid) ? "ready" : "no";
    this.root.dataset.ladders = store.get(message.ladders) ? "ready" : "no";
    // What the user may scrub next is computed while they look at what is drawn.
    store.request("ladders", message.ladders);
    this.root.dataset.ready = message.id;
    this.root.dataset.shown = String(Number(this.root.dataset.shown || 0) + 1);
    this.idle();
    performance.mark("stage-shown");
  }

  // The plots' heights: the message's, or in presenter mode whatever keeps the title,
  // the controls and every plot on one screen (a lecturer does not scroll in front of
  // the room). The stage sits below the page's title; its controls are above the plots.
  fit() {
    const message = this.message;
    let map = message.mapHeight, chart = message.chartHeight;
    if (message.fitScreen) {
      const plots = this.root.querySelector(".stage-plots");
      // the scrub sliders below may run past the fold: the figure and its controls not
      const top = plots.getBoundingClientRect().top + window.scrollY;
      const room = Math.max(240, window.innerHeight - top - 16);
      const gap = 8;
      if (message.view === "3d") {
        map = Math.round(room * 0.6);
        chart = room - map - gap;
      } else {
        map = room;
        chart = message.plots.panel ? Math.round((room - gap) / 2) : room;
      }
    }
    this.root.style.setProperty("--map-height", `${map}px`);
    this.root.style.setProperty("--chart-height", `${chart}px`);
  }

  idle() {
    this.drawing -= 1;
    if (this.drawing <= 0) delete this.root.dataset.busy;
  }

  attachPointer() {
    if (this.pointer) return;
    this.pointer = new Pointer(this.parts.map, {
      fontScale: this.message.fontScale,
      start: () => this.views.startPoint(),
      onNear: () => store.request("grid", this.message.grid),
      onClick: (p) => this.trigger("start", p),
      onDragStart: () => {
        this.player.pause(false);
        store.request("grid", this.message.grid);
        this.views.beginDrag();
      },
      onDrag: (p) => this.views.drag(store.get(this.message.grid), p),
      onDragEnd: (p) => (p ? this.trigger("start", p) : this.views.endDrag()),
    });
  }

  destroy() {
    this.destroyed = true;
    this.player.pause(false);
    clearInterval(this.themePoll);
    this.resizing.disconnect();
    window.removeEventListener("resize", this.onResize);
    document.removeEventListener("optplay-message", this.onMessage);
    if (this.pointer) this.pointer.destroy();
    if (this.views) this.views.purge();
    this.root.remove();
  }
}

// The last message of each element, by its header's bytes: Streamlit may hand the same
// data to an element again (it re-renders it when the script run ends).
const last = new WeakMap();

function sameAsLast(parent, data) {
  const length = new DataView(data.buffer, data.byteOffset, 8).getUint32(4, true);
  const header = new TextDecoder().decode(data.subarray(8, 8 + length));
  const previous = last.get(parent);
  last.set(parent, { header, size: data.byteLength });
  return previous && previous.header === header && previous.size === data.byteLength;
}

export function mount(component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data) return undefined;
  if (sameAsLast(parentElement, data) && stages.has(parentElement)) {
    stages.get(parentElement).trigger = setTriggerValue;
    return () => release(parentElement);
  }
  performance.mark("stage-message", { detail: data.byteLength });
  const message = decode(data);
  if (message.kind === "request") {
    // An element that answers requests ("grid", "ladders"): how to ask it.
    store.setRequester(message.of, (id) => setTriggerValue("want", id));
    return undefined;
  }
  if (message.kind !== "race") {
    store.put(message);
    return undefined;
  }
  let stage = stages.get(parentElement);
  if (!stage) {
    stage = new Stage(parentElement, setTriggerValue);
    stages.set(parentElement, stage);
  }
  stage.trigger = setTriggerValue;
  stage.show(message).catch((error) => {
    stage.idle();
    stage.root.dataset.error = String(error);
    console.error("stage:", error);
  });
  return () => release(parentElement);
}

// Streamlit calls a mount's cleanup when its element leaves the page, but also at once
// when a newer message for the element came while this mount was still loading (its
// render was superseded). Only the first may end the stage: ending it in the second
// would purge the plots the newer message is being drawn on.
export function release(parentElement) {
  setTimeout(() => {
    const stage = stages.get(parentElement);
    if (!stage || parentElement.isConnected) return;
    stages.delete(parentElement);
    stage.destroy();
  }, 0);
}

