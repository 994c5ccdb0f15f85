"""Identity: a GOV.UK One Login-compatible OpenID Connect provider and citizen accounts."""
