// plotly.js, served by the app itself (ui/stage.py puts the pinned plotly package's copy
// under static/): no CDN, so lecture-hall networks and offline hosts work, and the
// browser caches it. Loaded once per page, as a classic script (it is a UMD bundle).

let loading = null;

export function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(src, document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        loading = null;
        reject(new Error(`could not load ${src}`));
      };
      document.head.append(script);
    });
  }
  return loading;
}
