"""The reports blueprint and its URL map: every route of the feature on one screen, with the
signals it subscribes to."""

from flask import Blueprint

from exam.core.database import read_from_replica
from exam.exams import signals as exams_signals
from exam.people.signals import people_moved
from exam.reports import analysis, campaign_pages, files, views
from exam.reports.kept import candidacy
from exam.reports.kept import hours as hourskept
from exam.screenings import signals as screenings_signals
from exam.training import signals as training_signals

bp = Blueprint("reports", __name__, url_prefix="/reports")
# Report pages write nothing on GET: with ANPEI_REPORTS_DATABASE_URL they read from the replica.
bp.before_request(read_from_replica)


@bp.record_once
def _subscribe(state) -> None:
    """What the reports keep (candidacies, latest results, hours) follows the features that own
    the data, in their unit of work."""
    exams_signals.attempts_changed.connect(candidacy.on_attempts_changed)
    exams_signals.exam_changed.connect(candidacy.on_exam_changed)
    people_moved.connect(candidacy.on_people_moved)
    people_moved.connect(hourskept.on_people_moved)
    training_signals.attendance_changed.connect(hourskept.on_training_attendance)
    screenings_signals.attendance_changed.connect(hourskept.on_screening_attendance)


# The URL map.
bp.add_url_rule("/weakness", view_func=analysis.weakness_page)
bp.add_url_rule("/weakness.xlsx", view_func=analysis.weakness_xlsx)
bp.add_url_rule("/weakness.pdf", view_func=analysis.weakness_pdf)
bp.add_url_rule("/items", view_func=analysis.items_index)
bp.add_url_rule("/exams/<int:exam_id>/items", view_func=analysis.exam_items_page)
bp.add_url_rule("/exams/<int:exam_id>/items.xlsx", view_func=analysis.exam_items_xlsx)
bp.add_url_rule("/exams/<int:exam_id>/items.pdf", view_func=analysis.exam_items_pdf)
bp.add_url_rule("/questions/<int:question_id>/items", view_func=analysis.question_items_page)
bp.add_url_rule("/person/<int:person_id>", view_func=files.person_file)
bp.add_url_rule("/person/<int:person_id>.<any(pdf, xlsx):fmt>", view_func=files.person_file_export)
bp.add_url_rule("/enterprise/<int:enterprise_id>", view_func=files.enterprise_file)
bp.add_url_rule(
    "/enterprise/<int:enterprise_id>.<any(pdf, xlsx):fmt>", view_func=files.enterprise_file_export
)
bp.add_url_rule("/campaigns", view_func=campaign_pages.campaigns_page)
bp.add_url_rule("/campaigns/<int:campaign_id>", view_func=campaign_pages.campaign)
bp.add_url_rule("/campaigns/<int:campaign_id>/people", view_func=campaign_pages.campaign_list)
bp.add_url_rule("/", view_func=views.dashboard)
bp.add_url_rule("/dashboard.<any(xlsx, pdf):fmt>", view_func=views.dashboard_export)
bp.add_url_rule("/summary.pdf", view_func=views.summary)
bp.add_url_rule("/pass-rates", view_func=views.pass_rates)
bp.add_url_rule("/pass-rates.<any(xlsx, pdf):fmt>", view_func=views.pass_rates_export)
bp.add_url_rule("/tracker", view_func=views.tracker_page)
bp.add_url_rule("/tracker.<any(xlsx, pdf):fmt>", view_func=views.tracker_export)
bp.add_url_rule("/training", view_func=views.training_page)
bp.add_url_rule("/training.<any(xlsx, pdf):fmt>", view_func=views.training_export)
bp.add_url_rule("/safety-directors", view_func=views.safety_directors)
bp.add_url_rule("/safety-directors.<any(xlsx, pdf):fmt>", view_func=views.safety_directors_export)
bp.add_url_rule("/tracker/enrol", view_func=views.tracker_enrol, methods=["POST"])
