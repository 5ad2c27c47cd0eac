// The pointer on the map: a click anywhere sets the start; pressing on the start marker
// and moving drags it. Pixels become data coordinates through plotly's own axes, so
// zooming and panning keep the mapping right. Plotly keeps panning everywhere else: only
// a press on the start marker is taken from it.

const GRAB_RADIUS = 14; // px around the start marker that start a drag
const CLICK_SLOP = 5; // px a click may move and still be a click

function axesOf(gd) {
  const layout = gd._fullLayout;
  return layout && layout.xaxis && layout.yaxis ? [layout.xaxis, layout.yaxis] : null;
}

// Data coordinates of a pointer event over the plot area, or null outside it.
export function toData(gd, event) {
  const axes = axesOf(gd);
  if (!axes) return null;
  const [xa, ya] = axes;
  const box = gd.getBoundingClientRect();
  const px = event.clientX - box.left - xa._offset;
  const py = event.clientY - box.top - ya._offset;
  if (px < 0 || py < 0 || px > xa._length || py > ya._length) return null;
  return [xa.p2l(px), ya.p2l(py)];
}

function toPixels(gd, point) {
  const [xa, ya] = axesOf(gd);
  const box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.l2p(point[0]), box.top + ya._offset + ya.l2p(point[1])];
}

export class Pointer {
  // `start()` is the start marker's data position; callbacks get data coordinates.
  constructor(gd, { start, onClick, onDragStart, onDrag, onDragEnd, onNear, fontScale }) {
    this.gd = gd;
    this.callbacks = { start, onClick, onDragStart, onDrag, onDragEnd, onNear };
    this.radius = GRAB_RADIUS * (fontScale || 1);
    this.dragging = false;
    this.pending = null;
    this.listen();
  }

  near(event) {
    const axes = axesOf(this.gd);
    if (!axes) return false;
    const [sx, sy] = toPixels(this.gd, this.callbacks.start());
    return Math.hypot(event.clientX - sx, event.clientY - sy) <= this.radius;
  }

  listen() {
    const gd = this.gd;
    // Capture phase: a press on the start marker must not reach plotly's pan.
    gd.addEventListener("pointerdown", (e) => this.down(e), true);
    gd.addEventListener("pointermove", (e) => this.move(e), true);
    gd.addEventListener("pointercancel", () => this.cancel(), true);
    // The release of a plain click lands on the cover plotly lays over the page while a
    // button is down (its pan), not on the plot: listen for it on the window.
    this.onUp = (e) => this.up(e);
    window.addEventListener("pointerup", this.onUp, true);
  }

  destroy() {
    window.removeEventListener("pointerup", this.onUp, true);
  }

  down(event) {
    this.press = null;
    if (event.button !== 0) return;
    // The plot's own controls are no place to start from.
    if (event.target.closest && event.target.closest(".modebar, .legend, .colorbar")) return;
    this.press = { x: event.clientX, y: event.clientY, t: performance.now() };
    if (!this.near(event)) return;
    event.stopPropagation();
    event.preventDefault();
    this.gd.setPointerCapture(event.pointerId);
    this.dragging = true;
    this.dragged = false;
    this.callbacks.onDragStart();
  }

  move(event) {
    if (!this.dragging) {
      const near = this.near(event);
      this.gd.style.cursor = near ? "grab" : "";
      if (near) this.callbacks.onNear();
      return;
    }
    event.stopPropagation();
    const press = this.press;
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > CLICK_SLOP) {
      this.dragged = true;
    }
    if (!this.dragged) return;
    // One preview a display frame, however fast the pointer reports.
    this.pending = event;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const point = this.pending && toData(this.gd, this.pending);
      if (point && this.dragging) this.callbacks.onDrag(point);
    });
  }

  up(event) {
    if (this.dragging) {
      event.stopPropagation();
      this.press = null;
      this.dragging = false;
      this.gd.style.cursor = "";
      // A press on the start that did not move is no new start.
      this.callbacks.onDragEnd(this.dragged ? toData(this.gd, event) : null);
      return;
    }
    const press = this.press;
    this.press = null;
    if (!press || Math.hypot(event.clientX - press.x, event.clientY - press.y) > CLICK_SLOP) return;
    const point = toData(this.gd, event);
    if (point) this.callbacks.onClick(point);
  }

  cancel() {
    if (!this.dragging) return;
    this.dragging = false;
    this.callbacks.onDragEnd(null);
  }
}
