"""The page's caches (ui/caches.py): what ``held`` keeps in front of Streamlit's cache."""

from __future__ import annotations

from ui.caches import clear_held, held


def test_held_answers_a_repeat_with_the_same_object_and_keeps_the_last_entries():
    calls = []

    @held(max_entries=2)
    def message(key: str, view: str) -> bytes:
        calls.append((key, view))
        return f"{key}|{view}".encode()

    first = message("a", "contour")
    assert message("a", "contour") is first  # one object serves every session
    assert message("a", "3d") == b"a|3d"  # every argument is part of the key
    assert calls == [("a", "contour"), ("a", "3d")]
    message("b", "contour")  # a third entry: the oldest goes
    message("a", "contour")
    assert calls[-1] == ("a", "contour") and len(calls) == 4
    message("b", "contour")
    assert len(calls) == 4  # still held
    clear_held()
    message("b", "contour")
    assert len(calls) == 5  # asked again below
