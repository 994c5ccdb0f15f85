"""Card processors behind one interface: the sandbox and Stripe."""
