"""Routing: rules as data (``rules.yaml``) and a pure evaluation of who gets what, and why."""
