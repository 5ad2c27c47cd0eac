// The page's theme, read from the CSS variables Streamlit sets around a component
// (--st-background-color, --st-text-color: light, dark or a custom theme's), and a
// figure dressed in it: transparent backgrounds, the theme's text colour, grid lines
// drawn from it, and the racers' colours of the theme whose background this is. Those
// palettes are computed on the server (views/style.py: each colour keeps a contrast of
// 3:1 against the theme's backgrounds, WCAG 1.4.11); here one is only picked.

const TRANSPARENT = "rgba(0,0,0,0)";

function rgb(color) {
  const probe = document.createElement("span");
  probe.style.color = color;
  document.body.append(probe);
  const parts = getComputedStyle(probe).color.match(/[\d.]+/g) || [255, 255, 255];
  probe.remove();
  return parts.slice(0, 3).map(Number);
}

// WCAG 2.1 relative luminance, as views/style.py's `luminance`.
function luminance([r, g, b]) {
  const linear = (v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function readTheme(root) {
  const style = getComputedStyle(root);
  const background = style.getPropertyValue("--st-background-color").trim() || "#ffffff";
  const text = style.getPropertyValue("--st-text-color").trim() || "#31333f";
  return { background, text, key: `${background}|${text}` };
}

// "dark" or "light": which palette reads on the theme's background.
export function themeName(theme, darkBelow) {
  return luminance(rgb(theme.background)) < darkBelow ? "dark" : "light";
}

function faded(text, alpha) {
  const [r, g, b] = rgb(text);
  return `rgba(${r},${g},${b},${alpha})`;
}

// An axis's colours, all drawn from the text colour.
function axisColors(text) {
  return { color: text, gridcolor: faded(text, 0.14), zerolinecolor: faded(text, 0.3),
           linecolor: faded(text, 0.45) };
}

// `layout` and `traces` (copies) in the theme; `recolor` maps each racer's light colour
// to its colour in this theme.
export function dress(layout, traces, theme, recolor) {
  layout.paper_bgcolor = TRANSPARENT;
  layout.plot_bgcolor = TRANSPARENT;
  layout.font = { ...(layout.font || {}), color: theme.text };
  const colors = axisColors(theme.text);
  for (const key of Object.keys(layout)) {
    if (/^[xy]axis\d*$/.test(key)) Object.assign(layout[key], colors);
  }
  if (layout.scene) {
    layout.scene.bgcolor = TRANSPARENT;
    for (const k of ["xaxis", "yaxis", "zaxis"]) {
      if (layout.scene[k]) Object.assign(layout.scene[k], colors);
    }
  }
  if (!recolor.size) return;
  const swap = (holder, key) => {
    if (holder && typeof holder[key] === "string" && recolor.has(holder[key])) {
      holder[key] = recolor.get(holder[key]);
    }
  };
  for (const trace of traces) {
    if (trace.line) trace.line = { ...trace.line };
    if (trace.marker) trace.marker = { ...trace.marker };
    swap(trace.line, "color");
    swap(trace.marker, "color");
  }
}

// light colour -> this theme's, for the racers of `message`.
export function recoloring(message, name) {
  const light = message.palettes.light;
  const mine = message.palettes[name] || light;
  return new Map(light.map((c, i) => [c, mine[i]]).filter(([a, b]) => a !== b));
}
