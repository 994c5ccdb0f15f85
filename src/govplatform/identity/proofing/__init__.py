"""Proving who someone is, to GPG 45's levels of confidence (issue 17): the scores and profiles as data, the
checks behind one interface with their sandboxes, and the journey that runs them."""
