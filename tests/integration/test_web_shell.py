"""The shell every page shares: security headers, CSRF, body limits, errors, language, cookies."""

import re

import httpx
import pytest

from govplatform.app import build_app
from govplatform.core.platform import build_platform
from govplatform.core.settings import Settings
from tests.helpers import csrf_from, post_form


async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/", "/api/platform/v1/service", "/no-such-page", "/assets/manifest.json", "/healthz"):
        response = await client.get(path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
        assert headers["strict-transport-security"].startswith("max-age=")
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])


async def test_the_inline_script_carries_the_nonce_from_the_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"]).group(1)
    assert f'<script nonce="{nonce}">' in response.text
    again = await client.get("/")
    assert nonce not in again.headers["content-security-policy"], "a fresh nonce on every response"


async def test_the_start_page_says_what_the_platform_offers(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    for offer in ("Card payments", "Emails, text messages and letters", "sign-in", "forms", "Data sharing"):
        assert offer in response.text
    assert 'href="#main-content"' in response.text, "skip link"
    assert "govuk-phase-banner" in response.text
    assert "govuk-cookie-banner" in response.text


async def test_a_form_post_without_a_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/sign-in")
    response = await client.post("/sign-in", data={"email": "a@b.gov.uk", "password": "x"})
    assert response.status_code == 403
    assert "security token" in response.text


async def test_a_form_post_with_a_wrong_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await client.get("/sign-in")
    response = await client.post("/sign-in", data={"email": "a@b.gov.uk", "password": "x", "csrf_token": "f" * 64})
    assert response.status_code == 403


async def test_a_form_post_without_the_csrf_cookie_is_refused(client: httpx.AsyncClient) -> None:
    page = await client.get("/sign-in")
    token = csrf_from(page.text)
    client.cookies.clear()
    response = await client.post("/sign-in", data={"csrf_token": token})
    assert response.status_code == 403
    assert "cookies" in response.text


async def test_a_multipart_form_post_is_checked_too(client: httpx.AsyncClient) -> None:
    page = await client.get("/sign-in")
    ok = await client.post("/sign-in", files={"csrf_token": (None, csrf_from(page.text)), "email": (None, "")})
    assert ok.status_code == 400, "token accepted; the form itself is then validated"
    refused = await client.post("/sign-in", files={"email": (None, "")})
    assert refused.status_code == 403


async def test_an_oversized_body_gets_a_413_in_each_format(settings: Settings, platform) -> None:
    small = settings.model_copy(update={"max_body_bytes": 2048})
    app = build_app(small, build_platform(small, sessions=platform.sessions))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        api = await client.post(
            "/api/platform/v1/service", content=b"x" * 5000, headers={"content-type": "application/json"}
        )
        assert api.status_code == 413
        assert api.json()["errors"][0]["error"] == "PayloadTooLargeError"
        page = await client.post(
            "/sign-in", content=b"a=" + b"x" * 5000, headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert page.status_code == 413 and "<html" in page.text

        async def chunks():
            for _ in range(10):
                yield b"x" * 1000

        streamed = await client.post("/api/platform/v1/service", content=chunks())
        assert streamed.status_code == 413


async def test_a_malformed_content_length_gets_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/platform/v1/service", headers={"content-length": "abc"}, content=b"")
    assert response.status_code in (400, 413)


async def test_an_unknown_page_gets_the_govuk_404_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "<title>Page not found" in response.text


async def test_the_language_switch_shows_welsh_and_remembers_it(client: httpx.AsyncClient) -> None:
    welsh = await client.get("/?lang=cy")
    assert '<html lang="cy"' in welsh.text
    assert "Neidio i'r prif gynnwys" in welsh.text
    assert "govplatform_lang=cy" in welsh.headers.get("set-cookie", "")
    again = await client.get("/sign-in")
    assert '<html lang="cy"' in again.text
    english = await client.get("/?lang=en")
    assert '<html lang="en"' in english.text and "Skip to main content" in english.text


async def test_no_optional_cookie_is_set_before_consent(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    names = {c.split("=")[0].strip() for c in response.headers.get_list("set-cookie")}
    assert names <= {"govplatform_csrf"}


async def test_rejecting_cookies_records_the_choice_and_hides_the_banner(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/", "/cookies", {"cookies": "reject", "return_to": "/"})
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert '"analytics":false' in client.cookies.get("cookies_policy", "").replace("\\", "").replace("\\054", ",")
    assert "govuk-cookie-banner" not in (await client.get("/")).text


async def test_the_cookie_form_never_redirects_off_site(client: httpx.AsyncClient) -> None:
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = await post_form(client, "/cookies", "/cookies", {"cookies": "accept", "return_to": target})
        assert response.headers["location"] == "/"


@pytest.mark.parametrize("path", ["/healthz", "/api/platform/v1/service", "/"])
async def test_an_unreachable_database_gets_a_503_not_a_500(settings: Settings, path: str) -> None:
    down = settings.model_copy(update={"database_url": "postgresql://root@127.0.0.1:9/none"})
    app = build_app(down)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = {"Authorization": "Bearer gpk_" + "A" * 43}
        response = await client.get(path, headers=headers)
    if path == "/":
        assert response.status_code == 200, "the start page needs no database"
        return
    assert response.status_code == 503
    body = response.json()
    assert "Traceback" not in response.text
    if path == "/healthz":
        assert body["database"] == "unreachable"
    else:
        assert body["errors"][0]["error"] == "ServiceUnavailableError"


async def test_metrics_are_exposed_for_prometheus(client: httpx.AsyncClient) -> None:
    await client.get("/")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "govplatform_http_requests_total" in response.text


async def test_an_unexpected_error_gets_the_govuk_500_page_or_the_api_format_and_no_traceback(platform) -> None:
    app = build_app(platform.settings, platform)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail that must not leak")

    @app.get("/api/platform/v1/boom")
    async def api_boom() -> None:
        raise RuntimeError("secret detail that must not leak")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/boom")
        api = await client.get("/api/platform/v1/boom")
    assert page.status_code == 500 and "Sorry, there is a problem with the service" in page.text
    assert "Reference:" in page.text
    assert api.status_code == 500 and api.json()["errors"][0]["error"] == "InternalServerError"
    for response in (page, api):
        assert "secret detail" not in response.text and "Traceback" not in response.text
