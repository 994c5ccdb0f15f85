"""The service's pages: who is signed in (the email Django stored from userinfo) and signing out, which ends
the Django session and sends the browser to the provider's end-session endpoint, as the library's example does."""

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import escape
from govuk_onelogin_django.utils import get_one_login_logout_url


def _page(title: str, body: str) -> HttpResponse:
    html = f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body><main>{body}</main></body></html>'
    return HttpResponse(html, headers={"Cache-Control": "no-store"})


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        email = escape(request.user.email)
        return _page("Signed in", f'<h1>Signed in as {email}</h1><p><a href="/sign-out/">Sign out</a></p>')
    return _page("Not signed in", '<h1>You are not signed in</h1><p><a href="/one-login/login/">Sign in</a></p>')


def sign_out(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("home")
    url = get_one_login_logout_url(request, settings.POST_LOGOUT_REDIRECT_URI)
    logout(request)
    return redirect(url)


def signed_out(request: HttpRequest) -> HttpResponse:
    return _page("Signed out", '<h1>You have signed out of the service</h1><p><a href="/">Start again</a></p>')


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
