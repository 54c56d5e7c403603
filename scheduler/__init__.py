"""The one scheduler process (APScheduler 3): periodic jobs over exam's app and services.

Web workers never import this package. Only one scheduler runs jobs per installation: the
one holding a lock (a PostgreSQL advisory lock, or a file lock for SQLite). It checks the
lock before every job, since a PostgreSQL lock goes with its connection; a scheduler without
it runs nothing and stands by to take it (scheduler/lock.py).
"""
