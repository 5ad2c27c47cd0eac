// The one clock of the stage: play / pause, speed, a step slider and a step counter.
// Playback runs on the browser's clock (requestAnimationFrame): the frame shown is the
// one the elapsed time calls for, so a slow view skips frames instead of slowing down.
// Every view draws the current frame through `onFrame`; a pause or a moved slider is
// reported once through `onSettle`, so the page can keep the link at that frame.

const FPS = 30;
const SPEEDS = [0.25, 0.5, 1, 2, 4];

export class Player {
  constructor(root, { onFrame, onSettle }) {
    this.onFrame = onFrame;
    this.onSettle = onSettle;
    this.frames = new Int32Array([0]);
    this.steps = 0;
    this.frame = 0;
    this.speed = 1;
    this.playing = false;
    this.build(root);
  }

  build(root) {
    root.innerHTML = "";
    const el = (tag, cls, text) => {
      const node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text) node.textContent = text;
      return node;
    };
    this.button = el("button", "stage-play", "▶ Play");
    this.button.type = "button";
    this.button.setAttribute("aria-label", "play");
    this.button.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    this.speedSelect = el("select", "stage-speed");
    this.speedSelect.setAttribute("aria-label", "speed");
    for (const s of SPEEDS) {
      const option = el("option", "", `${s}×`);
      option.value = String(s);
      option.selected = s === 1;
      this.speedSelect.append(option);
    }
    this.speedSelect.addEventListener("change", () => {
      this.speed = Number(this.speedSelect.value);
      if (this.playing) this.restartClock();
    });
    this.slider = el("input", "stage-step");
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.setAttribute("aria-label", "step");
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.slider.addEventListener("change", () => this.settle());
    this.counter = el("span", "stage-counter");
    this.counter.setAttribute("aria-live", "polite");
    root.append(this.button, this.speedSelect, this.slider, this.counter);
  }

  // A new run: its frames (the path step each shows) and where to stand.
  load(frames, steps, frame) {
    this.frames = frames;
    this.steps = steps;
    this.slider.max = String(frames.length - 1);
    if (!this.playing) this.show(Math.min(Math.max(frame, 0), frames.length - 1));
  }

  step() {
    return this.frames[this.frame];
  }

  show(j) {
    this.frame = j;
    this.slider.value = String(j);
    this.counter.textContent = `step ${this.frames[j]} / ${this.steps}`;
    this.onFrame(j);
  }

  nudge(delta) {
    this.pause(false);
    this.show(Math.min(Math.max(this.frame + delta, 0), this.frames.length - 1));
    this.settle();
  }

  restartClock() {
    this.origin = performance.now();
    this.originFrame = this.frame;
  }

  play() {
    if (this.frame >= this.frames.length - 1) this.show(0);
    this.playing = true;
    this.button.textContent = "❚❚ Pause";
    this.button.setAttribute("aria-label", "pause");
    this.restartClock();
    const tick = (now) => {
      if (!this.playing) return;
      const due = this.originFrame + Math.floor(((now - this.origin) / 1000) * FPS * this.speed);
      const j = Math.min(due, this.frames.length - 1);
      if (j !== this.frame) this.show(j);
      if (j >= this.frames.length - 1) this.pause();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  pause(report = true) {
    if (!this.playing) return;
    this.playing = false;
    this.button.textContent = "▶ Play";
    this.button.setAttribute("aria-label", "play");
    if (report) this.settle();
  }

  settle() {
    this.onSettle(this.frame);
  }
}
