"""Django settings: the library's app and routes, auth and sessions in a SQLite file, and One Login's settings
from the environment (the platform's discovery URL, the client id and the base64 of the private key PEM)."""

import os

from govuk_onelogin_django.types import AuthenticationLevel, IdentityConfidenceLevel

SECRET_KEY = os.environ["RP_SECRET_KEY"]
DEBUG = False
# The library sends http://localhost… as its redirect URI where the service is at 127.0.0.1, so the browser
# visits the service at localhost; the platform posts back-channel logout tokens to 127.0.0.1.
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "govuk_onelogin_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
AUTHENTICATION_BACKENDS = ["govuk_onelogin_django.backends.OneLoginBackend"]
ROOT_URLCONF = "rp_service.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["RP_DATABASE"]}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # back-channel logout deletes rows here
LOGIN_URL = "/one-login/login/"
LOGIN_REDIRECT_URL = "/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

GOV_UK_ONE_LOGIN_CLIENT_ID = os.environ["RP_CLIENT_ID"]
GOV_UK_ONE_LOGIN_CLIENT_SECRET = os.environ["RP_CLIENT_SECRET"]
GOV_UK_ONE_LOGIN_OPENID_CONFIG_URL = os.environ["RP_OPENID_CONFIG_URL"]
GOV_UK_ONE_LOGIN_SCOPE = "openid email"
GOV_UK_ONE_LOGIN_AUTHENTICATION_LEVEL = AuthenticationLevel.MEDIUM_LEVEL  # Cl.Cm
GOV_UK_ONE_LOGIN_CONFIDENCE_LEVEL = IdentityConfidenceLevel.NONE  # P0
POST_LOGOUT_REDIRECT_URI = os.environ["RP_POST_LOGOUT_REDIRECT_URI"]

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
