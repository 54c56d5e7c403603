"""Warning-education film screenings (警示教育片放映): the film library, screenings held and who
attended them, named (credited hours in their file) or as a headcount."""
