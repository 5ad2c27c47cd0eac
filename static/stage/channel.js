// Changes to one plot go through its channel: one Plotly.animate in flight at a time,
// later changes merged into the next (a trace's newest data wins). A slow plot (a WebGL
// scene takes a few hundred milliseconds in software GL) then skips to the newest frame
// instead of falling behind the clock. animate with redraw: false draws only the changed
// traces; a 3D scene needs redraw: true.

export class Channel {
  constructor(Plotly, div, { redraw = false, onPainted = null } = {}) {
    this.Plotly = Plotly;
    this.div = div;
    this.redraw = redraw;
    this.onPainted = onPainted;
    this.pending = new Map(); // trace index -> its newest data
    this.busy = false;
    this.queued = false;
  }

  send(updates) {
    for (const [k, u] of updates) this.pending.set(k, { ...(this.pending.get(k) || {}), ...u });
    // Everything one event changes goes out as one call: flush after this task.
    if (this.busy || this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      if (!this.busy) this.flush();
    });
  }

  flush() {
    // A purged plot (its stage ended, or the view left) has no traces to update.
    if (!this.pending.size || !this.div.data) {
      this.pending.clear();
      this.busy = false;
      return;
    }
    this.busy = true;
    const updates = this.pending;
    this.pending = new Map();
    const began = performance.now();
    const done = () => {
      if (this.onPainted) this.onPainted(performance.now() - began);
      this.flush();
    };
    this.Plotly.animate(this.div, { data: [...updates.values()], traces: [...updates.keys()] },
                        { frame: { duration: 0, redraw: this.redraw },
                          transition: { duration: 0 }, mode: "next" })
      .then(done, done);
  }
}
