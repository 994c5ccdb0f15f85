"""Jinja2 with the govuk-frontend-jinja macros, gettext, and the shell's per-request context.

Components add their own template folders; every page gets the CSP nonce,
the CSRF token, the language and the signed-in user without asking for them.

`cached` keeps a rendered fragment that depends only on its key. The GOV.UK
macros are thorough and slow: a select of the 250 countries and territories
takes 8 ms to render, more than the rest of the card details page.

    {% call cached("country-select", language, country, error) %}...{% endcall %}
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from govplatform.core.web import i18n
from govplatform.core.web.middleware import CSRF_FIELD, csrf_token_for

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class FragmentCache:
    """Rendered fragments by key, the least recently used dropped beyond `size`.

    The key must hold everything the fragment depends on (the language
    included); nothing personal belongs in a cached fragment. `when=False`
    renders the fragment afresh and keeps nothing (a form that holds what
    someone typed, say).
    """

    def __init__(self, size: int = 2048) -> None:  # a country list per language and country, a header per service
        self.size = size
        self._fragments: OrderedDict[tuple[Hashable, ...], Markup] = OrderedDict()

    def __call__(self, *key: Hashable, caller: Callable[[], str], when: bool = True) -> Markup:
        if not when:
            rendered = caller()
            return rendered if isinstance(rendered, Markup) else Markup.escape(rendered)
        fragment = self._fragments.get(key)
        if fragment is None:
            rendered = caller()  # a `call` block's body, already escaped where autoescape is on
            fragment = rendered if isinstance(rendered, Markup) else Markup.escape(rendered)
            self._fragments[key] = fragment
            if len(self._fragments) > self.size:
                self._fragments.popitem(last=False)
        else:
            self._fragments.move_to_end(key)
        return fragment


class _CompiledTemplates(jinja2.BytecodeCache):
    """Each template's compiled code, kept for the life of the process and shared by every `Templates`.

    Why: Jinja keeps compiled templates per environment, and every app built in
    one process has an environment of its own: the test suite builds an app per
    test, and each would otherwise parse and compile the GOV.UK macros again
    (a third of a second for a page's worth). Every `Templates` is configured
    alike (autoescape, the i18n extension with new-style gettext), so code
    compiled for one serves all. A bucket is keyed by the template's name and
    file and holds the hash of the source it was compiled from: an edited
    template is compiled afresh, never served stale.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class _Environment(jinja2.Environment):
    """Jinja's environment, with each template's globals made one plain dict instead of a ChainMap.

    Why: on every `{% from ... import %}` Jinja subtracts the template's global
    names from the page's (`Template._get_default_module`), one ChainMap lookup
    per name. The GOV.UK macros import other macros inside themselves, so a page
    does this dozens of times: a fifth of the time to render a payment page. With
    a dict it is one set operation in C. Jinja asks that globals not change once
    a template is loaded (`Environment.make_globals`); `Templates` sets them all
    before the first page, so a copy loses nothing.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class Templates:
    def __init__(
        self, platform_name: str, csrf_secret: str, folders: list[Path] | None = None, auto_reload: bool = True
    ) -> None:
        self._csrf_secret = csrf_secret
        self._folders = [CORE_TEMPLATES, *(folders or [])]
        self.platform_name = platform_name
        self.env = _Environment(
            loader=self._loader(),
            autoescape=True,
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.ChainableUndefined,
            auto_reload=auto_reload,
            bytecode_cache=_COMPILED,
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n.gettext_, ngettext=i18n.ngettext_, newstyle=True
        )
        self.env.globals["cached"] = FragmentCache()

    def _loader(self) -> jinja2.BaseLoader:
        return jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader([str(folder) for folder in self._folders]),
                jinja2.PrefixLoader(
                    {"govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja", "templates")}
                ),
            ]
        )

    def add_folder(self, folder: Path) -> None:
        self._folders.append(folder)
        self.env.loader = self._loader()

    def render(
        self, request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
    ) -> HTMLResponse:
        state = request.scope.get("state", {})
        values: dict[str, Any] = {
            "request": request,
            "platform_name": self.platform_name,
            "csp_nonce": state.get("csp_nonce", ""),
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token_for(self._csrf_secret, state["csrf_cookie"]) if "csrf_cookie" in state else "",
            "language": i18n.current_language(),
            "current_user": state.get("staff_user"),
            "cookie_choice_made": request.cookies.get("cookies_policy") is not None,
            "current_path": request.url.path,
        }
        values.update(context or {})
        html = self.env.get_template(name).render(values)
        return HTMLResponse(html, status_code=status_code)
