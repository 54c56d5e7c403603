"""Enterprises and people: the register, its import and export, and who may see what."""
