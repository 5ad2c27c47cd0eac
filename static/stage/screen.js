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

// A 3D scene in a box taller than it is wide: plotly fits the scene to the box's height,
// so its sides would be cut; the camera steps back by the box's proportions instead, and
// further in a small box: the z axis's title lies outside the scene, at a size in pixels.
// Only the figure's camera: a camera the user turned stays theirs (the scene's
// uirevision).
const TITLE_ROOM_PX = 120;

export function fitCamera(div, layout) {
  const eye = layout.scene && layout.scene.camera && layout.scene.camera.eye;
  const width = div.clientWidth;
  if (!eye || !width) return;
  const k = Math.max(1, div.clientHeight / width) * (1 + TITLE_ROOM_PX / width);
  layout.scene.camera.eye = { x: eye.x * k, y: eye.y * k, z: eye.z * k };
}
