// Scrubbing a racer's hyperparameter in the figure: one slider per scrubbed ladder, whose
// notches are the sidebar slider's ladder of values. Moving it shows the run the server
// computed for that notch (no message to the server); releasing it commits the value.

function formatValue(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

export class Scrubber {
  constructor(root, { onScrub, onRelease }) {
    this.root = root;
    this.onScrub = onScrub;
    this.onRelease = onRelease;
    this.signature = "";
  }

  // One row a racer, one slider a scrub; rebuilt only when the scrubs change.
  // `force`: rebuild anyway (the racers' colours changed with the theme).
  load(racers, scrubs, force = false) {
    const signature = JSON.stringify(scrubs.map((l) => [l.racer, l.name, l.current, l.values.length]));
    if (signature === this.signature && !force) return;
    this.signature = signature;
    this.root.innerHTML = "";
    racers.forEach((racer, i) => {
      const mine = scrubs.map((l, k) => [l, k]).filter(([l]) => l.racer === i);
      if (!mine.length) return;
      const rowEl = document.createElement("div");
      rowEl.className = "stage-scrub-row";
      const name = document.createElement("span");
      name.className = "stage-scrub-name";
      name.textContent = racer.name;
      // the racer's colour as a swatch: text stays in the theme's text colour
      name.style.borderLeftColor = racer.color;
      rowEl.append(name);
      for (const [scrub, k] of mine) rowEl.append(this.control(scrub, k));
      this.root.append(rowEl);
    });
  }

  control(scrub, index) {
    const label = document.createElement("label");
    label.className = "stage-scrub";
    const text = document.createElement("span");
    const input = document.createElement("input");
    input.type = "range";
    input.min = "0";
    input.max = String(scrub.values.length - 1);
    input.value = String(scrub.current);
    input.dataset.scrub = String(index);
    input.setAttribute("aria-label", `${scrub.label} of racer ${scrub.racer + 1}`);
    const show = () => {
      text.textContent = `${scrub.label} = ${formatValue(scrub.values[Number(input.value)])}`;
    };
    show();
    input.addEventListener("input", () => {
      show();
      this.onScrub(index, Number(input.value));
    });
    input.addEventListener("change", () => {
      this.onRelease(index, Number(input.value));
    });
    label.append(text, input);
    return label;
  }
}
