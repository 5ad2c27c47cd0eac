// The racers' legend, above the plots: each racer's name beside a sample of its line
// (colour and dash, as the plots draw it). An HTML row wraps on a narrow screen, where
// plotly's legend would run into the map's axes. A racer's name is its label, typed by
// a person: it is set as a text node, so markup in it shows as typed.

const DASHES = { solid: "", dash: "6 4", dot: "2 3", dashdot: "6 3 2 3", longdash: "10 4",
                 longdashdot: "10 3 2 3" };
const SVG = "http://www.w3.org/2000/svg";

export function drawLegend(root, racers) {
  root.innerHTML = "";
  for (const racer of racers) {
    const item = document.createElement("span");
    item.className = "stage-legend-item";
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "10");
    svg.setAttribute("aria-hidden", "true");
    const line = document.createElementNS(SVG, "line");
    Object.entries({ x1: 1, y1: 5, x2: 27, y2: 5, stroke: racer.color, "stroke-width": 2.5,
                     "stroke-dasharray": DASHES[racer.dash] || "" })
      .forEach(([k, v]) => line.setAttribute(k, v));
    svg.append(line);
    item.append(svg, document.createTextNode(racer.name));
    root.append(item);
  }
}
