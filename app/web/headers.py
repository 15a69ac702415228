"""The headers every HTML page sends: one CSP for the intake form and the console.

No inline script or style (the pages load their own files from 'self'), no framing, forms
post only to this origin, and no cache keeps a page: they carry personal data and tokens.
"""

from __future__ import annotations

from types import MappingProxyType

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

#: Intake pages carry their token in the address: no Referer may ever send it on.
PAGE_HEADERS = MappingProxyType(
    {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
)
#: Console pages: a Referer only to this origin. With "no-referrer", browsers send
#: `Origin: null` on a form post, and the CSRF check could no longer tell this site apart.
CONSOLE_HEADERS = MappingProxyType({**PAGE_HEADERS, "Referrer-Policy": "same-origin"})
