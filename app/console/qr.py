"""An intake link as a QR code, for a client in the room to scan: inline SVG from segno.

Inline SVG needs no image request and no inline style (the CSP allows neither data: URLs
nor style attributes); segno writes only presentation attributes.
"""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str, title: str) -> Markup:
    """The QR code of a URL as an <svg> element (error correction M, 4 px per module),
    named by `title` for screen readers."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=4, title=title, svgclass="qr-code")
    # The SVG is segno's own output from a URL we made: no user markup inside.
    return Markup(svg)  # noqa: S704
