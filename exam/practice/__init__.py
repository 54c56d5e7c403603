"""Practice (练习) for candidates: questions drawn from the bank with feedback, and the list
of questions they got wrong, pointing to the courses on their weak topics."""
