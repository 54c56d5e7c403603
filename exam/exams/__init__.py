"""Exams: scheduling, attempts with server-set deadlines, answer saving, submission, grading.

This package holds the models and services; the sitting page, the JSON API and the
organisers' pages build on them.
"""
