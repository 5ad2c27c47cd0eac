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

  // One row a racer, one slider a ladder; rebuilt only when the ladders' shape changes.
  load(racers, ladders) {
    const signature = JSON.stringify(ladders.map((l) => [l.racer, l.name, l.current, l.values.length]));
    if (signature === this.signature) return;
    this.signature = signature;
    this.root.innerHTML = "";
    racers.forEach((racer, i) => {
      const mine = ladders.map((l, k) => [l, k]).filter(([l]) => l.racer === i);
      if (!mine.length) return;
      const rowEl = document.createElement("div");
      rowEl.className = "stage-scrub-row";
      const name = document.createElement("span");
      name.className = "stage-scrub-name";
      name.textContent = racer.name;
      name.style.color = racer.color;
      rowEl.append(name);
      for (const [ladder, k] of mine) rowEl.append(this.control(ladder, k));
      this.root.append(rowEl);
    });
  }

  control(ladder, index) {
    const label = document.createElement("label");
    label.className = "stage-scrub";
    const text = document.createElement("span");
    const input = document.createElement("input");
    input.type = "range";
    input.min = "0";
    input.max = String(ladder.values.length - 1);
    input.value = String(ladder.current);
    input.dataset.ladder = String(index);
    input.setAttribute("aria-label", `${ladder.label} of racer ${ladder.racer + 1}`);
    const show = () => {
      text.textContent = `${ladder.label} = ${formatValue(ladder.values[Number(input.value)])}`;
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
