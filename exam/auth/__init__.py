"""Logging in and out, passwords, throttling, role checks."""
