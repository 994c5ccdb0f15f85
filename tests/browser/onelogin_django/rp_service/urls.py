"""The library's routes under one-login/ (login, callback, back-channel-logout) and the service's own pages."""

from django.urls import include, path

from rp_service import views

urlpatterns = [
    path("one-login/", include("govuk_onelogin_django.urls")),
    path("", views.home, name="home"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("signed-out/", views.signed_out, name="signed-out"),
    path("healthz", views.healthz),
]
