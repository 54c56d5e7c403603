"""The ceiling of the exam API benchmark: a bare WSGI app (no Flask) answering as /healthz
does, run under the same gunicorn settings as the app."""


def app(environ, start_response):
    body = b'{"status":"ok"}\n'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
