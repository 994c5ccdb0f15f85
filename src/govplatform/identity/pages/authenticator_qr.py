"""The authenticator app's set-up picture and secret, as sign-up and the security page both show them.

The QR code is an inline SVG (segno): no image request, nothing for the CSP to allow, and readable by screen
readers through its title; the secret is shown in groups of four as apps ask people to type it.
"""

from __future__ import annotations

import io

import segno

from govplatform.core.interfaces import gettext_


def qr_svg(uri: str) -> str:
    svg = io.BytesIO()
    title = gettext_("QR code for your authenticator app")
    segno.make(uri, error="m").save(svg, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=title)
    return svg.getvalue().decode()


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
