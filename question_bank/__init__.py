"""The question bank's pure domain: question kinds, grading, paper assembly, import parsing.

It never imports Flask or the web application, so it can be tested and reused on its own.
"""
