"""Delivery providers: one interface per channel, a real implementation and a sandbox beside each."""
