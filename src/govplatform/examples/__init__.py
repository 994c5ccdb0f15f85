"""Example services of the platform's own, built only on its public APIs, as a service team's would be."""
