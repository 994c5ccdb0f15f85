"""Pay's business rules: creating and moving payments, the paying user's steps, refunds, webhooks,
payment links, and what the admin pages read and change."""
