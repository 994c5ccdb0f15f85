"""axe-core in the page under test: WCAG 2.2 AA means no violations on any page (DESIGN.md, Web pages).

axe is put into the page with `page.evaluate` rather than a script tag: the
pages send a strict Content-Security-Policy (script-src 'self' plus a nonce),
which rightly blocks an injected inline <script>, while evaluate runs in the
page's context without being a script element. The browser context keeps its
CSP on, so the pages are checked exactly as people get them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
}"""


@cache
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


async def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    violations: list[dict[str, Any]] = await page.evaluate(_RUN_AXE, WCAG_AA_TAGS)
    return violations


async def assert_no_accessibility_violations(page: Page) -> None:
    violations = await accessibility_violations(page)
    lines = [
        f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>\n"
        + "\n".join(f"    at {target}" for target in violation["targets"])
        for violation in violations
    ]
    assert not violations, f"axe found {len(violations)} WCAG 2.2 AA violation(s) on {page.url}:\n" + "\n".join(lines)
