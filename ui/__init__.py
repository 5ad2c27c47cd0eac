"""The Streamlit layer: widgets -> Scene, the page, share links. Only here is `st` used."""
