"""Routing: rules as data (``rules.yaml``) and a pure evaluation that says who gets what, and why."""
