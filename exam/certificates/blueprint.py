"""The certificates blueprints and their URL map: every route of the feature on one screen, with the
signals it subscribes to."""

from flask import Blueprint

from exam.certificates import admission, services, views
from exam.exams import signals as exams_signals
from exam.people.signals import person_file

bp = Blueprint("certificates", __name__)
verify_bp = Blueprint("verify", __name__)


@bp.record_once
def _subscribe(state) -> None:
    """Certificates follow what happens to the attempts they are issued for."""
    exams_signals.attempt_passed.connect(services.issue_after_submit)
    exams_signals.attempt_withdrawn.connect(services.withdraw_for_attempt)
    exams_signals.result_links.connect(services.result_link)
    person_file.connect(services.person_file_part)


# The URL map.
bp.add_url_rule("/manage/exams/<int:exam_id>/admission.pdf", view_func=admission.admission_all)
bp.add_url_rule(
    "/manage/exams/<int:exam_id>/admission/<int:person_id>.pdf", view_func=admission.admission_one
)
bp.add_url_rule("/exams/<int:exam_id>/admission.pdf", view_func=admission.admission_mine)
bp.add_url_rule("/certificates", view_func=views.mine)
bp.add_url_rule("/certificates/<int:certificate_id>.pdf", view_func=views.pdf)
bp.add_url_rule("/manage/certificates", view_func=views.index)
bp.add_url_rule("/manage/certificates/<int:certificate_id>", view_func=views.detail)
bp.add_url_rule(
    "/manage/certificates/<int:certificate_id>/<any(revoke, reissue):action>",
    view_func=views.act,
    methods=["POST"],
)
bp.add_url_rule("/manage/exams/<int:exam_id>/certificates", view_func=views.for_exam)
bp.add_url_rule(
    "/manage/exams/<int:exam_id>/certificates/issue",
    view_func=views.issue_missing,
    methods=["POST"],
)
bp.add_url_rule(
    "/manage/exams/<int:exam_id>/certificates/render",
    view_func=views.render_batch,
    methods=["POST"],
)
bp.add_url_rule("/manage/exams/<int:exam_id>/certificates.zip", view_func=views.exam_zip)
bp.add_url_rule("/manage/certificates/seal", view_func=views.seal, methods=["GET", "POST"])
bp.add_url_rule("/manage/certificates/seal.png", view_func=views.seal_image)

verify_bp.add_url_rule("/verify", view_func=views.lookup)
verify_bp.add_url_rule("/verify/<number>", view_func=views.show)
verify_bp.app_context_processor(views.certificate_labels)
