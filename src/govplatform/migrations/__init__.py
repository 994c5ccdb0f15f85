"""One linear Alembic history for every component, numbered 0001, 0002, ...

Numbered revisions mean two branches that each add one conflict in git rather
than in production (GOV.UK Notify does the same).
"""
