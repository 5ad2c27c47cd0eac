// The plots on a narrow screen (a phone, or a narrow column): the stage's own width
// decides, as its CSS container query does (stage.css, 640 px). The map's colour bar
// lies under the map instead of beside it (the map keeps the whole width), and the
// mode bar is left out (it would float over the legend; a double tap resets the view).

export const NARROW_PX = 640;

export function isNarrow(root) {
  return root.clientWidth > 0 && root.clientWidth < NARROW_PX;
}

export function narrowed(name, layout, traces) {
  if (name !== "map") return;
  for (const trace of traces) {
    const bar = trace.marker && trace.marker.colorbar;
    if (!bar) continue;
    trace.marker = { ...trace.marker, colorbar: {
      ...bar, orientation: "h", x: 0.5, xanchor: "center", y: -0.3, yanchor: "top",
      len: 1, thickness: 10, title: { ...(bar.title || {}), side: "bottom" } } };
  }
  layout.margin = { ...(layout.margin || {}), r: 12, l: 44 };
}
