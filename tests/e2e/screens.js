// What the screens tests read from a drawn page (tests/e2e/test_screens.py): the boxes
// of everything that must not overlap, and the colours the figures are drawn in.
// Evaluated in the page by playwright; returns plain data, asserts nothing.

() => {
  const main = document.querySelector("[data-testid='stMain']") || document.body;
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom,
             width: r.width, height: r.height };
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none" && style.opacity !== "0";
  };
  const named = (el, kind, where) => ({ kind, where, text: (el.textContent || "").trim().slice(0, 40),
                                        ...box(el) });
  const items = [];
  const plots = [...main.querySelectorAll(".js-plotly-plot")].filter(visible);
  const whereOf = (plot, p) => {
    const part = plot.closest(".stage-map, .stage-chart, .stage-scene, .stage-marks, .stage-panel");
    return part ? part.className : `plot${p}`;
  };
  plots.forEach((plot, p) => {
    const where = whereOf(plot, p);
    // a colour bar's own title and ticks are part of the colour bar
    const add = (selector, kind) => plot.querySelectorAll(selector).forEach((el) => {
      if (visible(el) && (el.textContent || "").trim() !== "" && !el.closest(".colorbar")) {
        items.push(named(el, kind, where));
      }
    });
    add(".infolayer [class*='title'] text, .infolayer .gtitle", "axis title");
    plot.querySelectorAll(".xaxislayer-above, .yaxislayer-above").forEach((layer, a) => {
      layer.querySelectorAll(".xtick text, .ytick text").forEach((el) => {
        if (visible(el) && el.textContent.trim() !== "") items.push(named(el, `tick labels ${a}`, where));
      });
    });
    plot.querySelectorAll(".infolayer .colorbar").forEach((el) => {
      if (visible(el)) items.push(named(el, "colour bar", where));
    });
    plot.querySelectorAll(".infolayer .legend").forEach((el) => {
      if (visible(el)) items.push(named(el, "legend", where));
    });
    add(".annotation-text-g", "annotation");
    add(".updatemenu-container .updatemenu-button, .slider-container .slider-group", "playback controls");
  });
  main.querySelectorAll(".stage-controls > *, .stage-scrubs label").forEach((el) => {
    if (visible(el)) items.push(named(el, "playback controls", "stage"));
  });
  main.querySelectorAll(".stage-legend-item").forEach((el) => {
    if (visible(el)) items.push(named(el, "legend", "stage"));
  });
  // what each plot drew (its first svg), which must stay inside its own cell
  const plotBoxes = plots.map((plot, p) => ({ where: whereOf(plot, p),
    ...box(plot.querySelector(".main-svg") || plot) }));
  const overflowing = plots.filter((plot) => {
    const svg = plot.querySelector(".main-svg");
    if (!svg) return false;
    const a = svg.getBoundingClientRect(), b = plot.getBoundingClientRect();
    return a.width > b.width + 2 || a.height > b.height + 2;
  }).map((plot, p) => whereOf(plot, p));

  const app = document.querySelector("[data-testid='stApp']");
  const appBackground = getComputedStyle(app).backgroundColor;
  const papers = plots.map((plot) => {
    const svg = plot.querySelector(".main-svg");
    return svg ? getComputedStyle(svg).backgroundColor : "";
  });
  const bgRects = plots.map((plot) => {
    const rect = plot.querySelector(".bglayer rect.bg");
    return rect ? rect.getAttribute("style") || rect.style.fill || "" : "";
  });
  const tickColors = [...main.querySelectorAll(".xtick text, .ytick text")].slice(0, 40)
    .map((el) => getComputedStyle(el).fill || el.style.fill);
  const chart = main.querySelector(".stage-chart");
  const chartLines = chart ? [...chart.querySelectorAll(".scatterlayer path.js-line")]
    .map((el) => el.style.stroke).filter((c) => c && c !== "none") : [];
  return { items, plotBoxes, overflowing, appBackground, papers, bgRects, tickColors, chartLines,
           viewport: { width: window.innerWidth, height: window.innerHeight },
           stageTheme: (document.querySelector(".stage") || { dataset: {} }).dataset.theme || "" };
}
