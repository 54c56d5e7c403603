"""Training sessions (sector training with experts), enrolment and attendance, and every
person's training hours against the legal minimum."""
