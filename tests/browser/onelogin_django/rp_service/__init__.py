"""A minimal Django service that signs its users in with govuk-onelogin-django, unchanged, as a service
already built for GOV.UK One Login would; the browser tests point it at the platform's discovery URL.

It runs in its own virtual environment and process (../requirements.txt says why), configured by
environment variables that tests/browser/onelogin_django_server.py sets.
"""
