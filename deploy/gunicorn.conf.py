"""gunicorn settings for an Anpei app host: ``gunicorn -c deploy/gunicorn.conf.py``.

Threaded workers (gthread) that keep connections alive: a candidate's phone (or nginx in
front, with ``keepalive`` in its upstream block) sends request after request on one
connection, and a worker waiting on PostgreSQL serves another thread meanwhile. Each worker
keeps its own pool of database connections open between requests.

The worker and thread counts were measured on a 2-core host (``benchmarks/exam_api/run.py``,
``benchmarks/RESULTS.md``, "Exam API hot paths": 2×4, 3×4, 3×8 and 4×2 were within the noise
of a loaded machine, all well above sync workers); on another host set ``WEB_CONCURRENCY``
(workers, about one per core plus one) and ``ANPEI_THREADS``.
"""

import os

#: Where this host listens (nginx, or the load balancer, forwards to it).
bind = os.environ.get("ANPEI_BIND", "127.0.0.1:8000")
wsgi_app = "exam:create_app()"

worker_class = "gthread"
#: Processes: each runs Python on one core at a time (the GIL); one more than the cores
#: keeps both cores busy while a process waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
#: Threads per process: requests mostly wait on PostgreSQL; each thread needs at most two
#: pooled connections (Flask-SQLAlchemy's pool: 5, plus 10 overflow), so this stays under it.
threads = int(os.environ.get("ANPEI_THREADS", "4"))
#: Idle keep-alive connections a process holds (phones on a slow network come and go).
worker_connections = 2000
#: Seconds an idle connection stays open: longer than a heartbeat (20 s) and than nginx's
#: upstream ``keepalive_timeout`` (60 s by default), so nginx closes first, never gunicorn
#: under a request in flight.
keepalive = 75

#: A request running longer than this is killed (a report export is the longest).
timeout = 120
graceful_timeout = 30

accesslog = os.environ.get("ANPEI_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("ANPEI_LOG_LEVEL", "warning")
#: nginx in front sets X-Forwarded-For (the app trusts it through ANPEI_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("ANPEI_FORWARDED_ALLOW_IPS", "127.0.0.1")
