"""The web shell every component's pages and APIs share: app factory, middleware, templates, i18n."""
