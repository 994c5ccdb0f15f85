"""The sign-in client form: from posted fields to a `Registration`, and from the service's refusals to a GOV.UK
error summary whose entries link to the fields.

The page decides nothing: every rule is the service's (`services/clients.py`), which the CLI shares. The form
only says how the client proves who it is as one choice ("key_source": a PEM key, a JWKS URL, or a client
secret), which the service knows as a token auth method and two fields; that choice is the one problem the
page finds itself. A pasted private key is never sent back into the page: the field is emptied.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from govplatform.core.interfaces import N_, gettext_
from govplatform.identity.errors import ClientRefused, IdentityError
from govplatform.identity.profile import USERINFO_CLAIMS, VOCAB
from govplatform.identity.services.clients import ID_TOKEN_ALGS, SCOPES, Registration
from govplatform.identity.services.vectors import LEVELS

KEY_SOURCES = ("public_key", "jwks_url", "client_secret_post")
TEXT_FIELDS = (
    "name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "back_channel_logout_uri",
    "key_source",
    "public_key_pem",
    "jwks_url",
    "sector",
    "id_token_alg",
)
LIST_FIELDS = ("scopes", "claims", "levels")
# The service's field names that the form shows under another id.
FIELD_IDS = {"token_auth_method": "key_source"}
OPTIONAL_SCOPES = tuple(scope for scope in SCOPES if scope != "openid")


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def posted(form: FormData) -> dict[str, Any]:
    """The form's fields as the page shows them again: text fields as text, checkboxes as lists."""
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in TEXT_FIELDS}
    for name in LIST_FIELDS:
        values[name] = [value for value in form.getlist(name) if isinstance(value, str)]
    values["pkce_required"] = form.get("pkce_required") == "yes"
    values["max_age_enabled"] = form.get("max_age_enabled") == "yes"
    values["active"] = form.get("active") == "yes"
    return values


def shown(registration: Registration, active: bool = True) -> dict[str, Any]:
    """A client's registration as the form's fields (the edit form starts from it)."""
    if registration.token_auth_method == "client_secret_post":
        source = "client_secret_post"
    else:
        source = "jwks_url" if registration.jwks_url else "public_key"
    return {
        "name": registration.name,
        "redirect_uris": "\n".join(registration.redirect_uris),
        "post_logout_redirect_uris": "\n".join(registration.post_logout_redirect_uris),
        "back_channel_logout_uri": registration.back_channel_logout_uri or "",
        "key_source": source,
        "public_key_pem": registration.public_key_pem or "",
        "jwks_url": registration.jwks_url or "",
        "sector": registration.sector or "",
        "id_token_alg": registration.id_token_alg,
        "scopes": [scope for scope in registration.scopes or [] if scope != "openid"],
        "claims": list(registration.claims or []),
        "levels": list(registration.levels or []),
        "pkce_required": registration.pkce_required,
        "max_age_enabled": registration.max_age_enabled,
        "active": active,
    }


def new_form() -> dict[str, Any]:
    return shown(Registration("", [], scopes=["openid", "email"], levels=["P0"]))


def registration(values: dict[str, Any]) -> Registration:
    """The registration the form asks for; IdentityError(field="key_source") when no way to prove it is chosen."""
    source = values["key_source"]
    if source not in KEY_SOURCES:
        raise IdentityError(N_("Choose how the client proves who it is at the token endpoint"), field="key_source")
    return Registration(
        name=values["name"],
        redirect_uris=lines(values["redirect_uris"]),
        post_logout_redirect_uris=lines(values["post_logout_redirect_uris"]),
        back_channel_logout_uri=values["back_channel_logout_uri"],
        public_key_pem=values["public_key_pem"] if source == "public_key" else None,
        jwks_url=values["jwks_url"] if source == "jwks_url" else None,
        token_auth_method="client_secret_post" if source == "client_secret_post" else "private_key_jwt",
        sector=values["sector"],
        scopes=["openid", *values["scopes"]],
        claims=values["claims"],
        levels=values["levels"],
        id_token_alg=values["id_token_alg"],
        pkce_required=values["pkce_required"],
        max_age_enabled=values["max_age_enabled"],
    )


def errors_of(refused: IdentityError) -> list[dict[str, str]]:
    """The GOV.UK error summary's entries, translated, each linking to its field (once per field)."""
    problems = refused.problems if isinstance(refused, ClientRefused) else [refused]
    entries: dict[str, dict[str, str]] = {}
    for problem in problems:
        field = FIELD_IDS.get(problem.field or "name", problem.field or "name")
        text = gettext_(problem.template)
        entries.setdefault(field, {"text": text % problem.params if problem.params else text, "href": f"#{field}"})
    return list(entries.values())


def without_private_key(values: dict[str, Any]) -> dict[str, Any]:
    if "PRIVATE KEY" in values.get("public_key_pem", ""):
        return {**values, "public_key_pem": ""}
    return values


def choices() -> dict[str, Any]:
    """What the provider supports, for the form's checkboxes and radios."""
    return {
        "scope_choices": OPTIONAL_SCOPES,
        "claim_choices": [(claim, claim.removeprefix(VOCAB)) for claim in USERINFO_CLAIMS],
        "level_choices": LEVELS,
        "alg_choices": ID_TOKEN_ALGS,
    }
