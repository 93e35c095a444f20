"""Broadcasts and handoff replies measured on loopback (issue 13): `make bench-broadcast`."""
