"""The practice blueprint and its URL map: every route of the feature on one screen."""

from flask import Blueprint

from exam.practice import views

bp = Blueprint("practice", __name__, url_prefix="/practice")

# The URL map.
bp.add_url_rule("/", view_func=views.index)
bp.add_url_rule("/topic/<int:topic_id>", view_func=views.topic)
bp.add_url_rule("/wrong", view_func=views.wrong)
bp.add_url_rule("/wrong/practise", view_func=views.drill)
bp.add_url_rule("/answer", view_func=views.answer, methods=["POST"])
