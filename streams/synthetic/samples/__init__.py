"""Bundled synthetic sample messages (package data, read with importlib.resources)."""
