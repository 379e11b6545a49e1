"""The app's own style sheet is well formed: a merge once dropped two closing braces,
which left every later rule inside a phone-only media query, and no page test noticed."""

import re
from pathlib import Path

APP_CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "app.css"


def depths(css):
    """The nesting depth after each brace, comments and quoted strings left out."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\"[^\"]*\"|'[^']*'", "", css)
    depth, seen = 0, []
    for char in css:
        if char in "{}":
            depth += 1 if char == "{" else -1
            seen.append(depth)
    return seen


def test_every_block_of_app_css_is_closed():
    seen = depths(APP_CSS.read_text())
    assert min(seen) >= 0, "a } closes more than was opened"
    assert seen[-1] == 0, f"{seen[-1]} block(s) left open at the end of app.css"


def test_the_check_sees_an_unclosed_media_query():
    assert depths("@media (x) { a { color: red; }")[-1] == 1
    assert depths("/* } */ a { content: '}'; }")[-1] == 0
