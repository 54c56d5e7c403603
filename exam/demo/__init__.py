"""The demo district: believable data for ``anpei demo``."""
