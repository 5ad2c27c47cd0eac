// Where the words of divergence marks go: marks that meet (several runs from one start
// diverging at once) list their words, one line each, instead of printing them over each
// other. The same rule as views/race.py's label_slots and stacked_label (the exported
// figure's), which the tests hold both to.

// Two marks closer than these fractions of the map's width and height collide (a label
// is far wider than it is tall).
const CLEARANCE = [0.5, 0.08];

// Each label's line in its stack (points: [x, y] or null for a run that did not
// diverge): in racer order, a label takes the first line no earlier label near it holds.
export function labelSlots(points, domain) {
  const nearX = CLEARANCE[0] * (domain[0][1] - domain[0][0]);
  const nearY = CLEARANCE[1] * (domain[1][1] - domain[1][0]);
  const slots = [];
  points.forEach((p, i) => {
    const taken = new Set();
    for (let j = 0; j < i; j += 1) {
      const q = points[j];
      if (p !== null && q !== null && Math.abs(p[0] - q[0]) < nearX
          && Math.abs(p[1] - q[1]) < nearY) taken.add(slots[j]);
    }
    let slot = 0;
    while (taken.has(slot)) slot += 1;
    slots.push(slot);
  });
  return slots;
}

// [text, textposition] of a label on line `slot`: the first line above the mark, the
// others below it in the map's upper half (staying inside the map), above it in the lower
// half. Blank lines move a label by whole lines.
export function stackedLabel(text, slot, upper) {
  if (slot === 0) return [text, "top center"];
  if (upper) return ["<br> ".repeat(slot - 1) + text, "bottom center"];
  return [text + "<br> ".repeat(slot), "top center"];
}
