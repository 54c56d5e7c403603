"""The JSON API (``/api/v1``) used by the exam page, documented at ``/api/v1/openapi.json``."""

from flask_smorest import Api

api = Api()
