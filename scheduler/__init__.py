"""The one scheduler process (APScheduler 3): periodic jobs over exam's app and services.

Web workers never import this package. Only one scheduler may run per installation: it
holds a lock for its whole life (a PostgreSQL advisory lock, or a file lock for SQLite).
"""
