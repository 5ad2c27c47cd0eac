"""The share link as a copy button: a link is to be copied, not read, and a read-only
field with one button costs the page nothing (a code block would pull in a 1.5 MB
syntax highlighter)."""

from __future__ import annotations

import streamlit as st

_HTML = """
<div class="share-link">
  <span class="share-label">Share this view (the link reproduces it exactly):</span>
  <input class="share-url" type="text" readonly aria-label="share link">
  <button class="share-copy" type="button">Copy link</button>
</div>
"""
_CSS = """
.share-link { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; }
.share-label { font-weight: 600; }
.share-url { flex: 1 1 20rem; min-width: 0; font: inherit; font-size: 0.85em;
  padding: 0.3rem 0.5rem; border-radius: 0.4rem; border: 1px solid rgba(128, 128, 128, 0.5);
  background: transparent; color: inherit; }
.share-copy { font: inherit; padding: 0.3rem 0.9rem; border-radius: 0.4rem; cursor: pointer;
  border: 1px solid rgba(128, 128, 128, 0.5); background: transparent; color: inherit; }
"""
_JS = """
export default function ({ data, parentElement }) {
  const input = parentElement.querySelector(".share-url");
  const button = parentElement.querySelector(".share-copy");
  input.value = data.url;
  input.onfocus = () => input.select();
  button.onclick = async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch (error) {
      document.execCommand("copy");  // clipboard API refused (plain http): the old way
    }
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = "Copy link"), 1500);
  };
}
"""
SHARE = st.components.v2.component("optplay_share", html=_HTML, css=_CSS, js=_JS,
                                   isolate_styles=False)


def share_box(url: str) -> None:
    SHARE(key="share", data={"url": url})
