"""Online learning: courses of lessons, tracked study time credited as training hours."""
