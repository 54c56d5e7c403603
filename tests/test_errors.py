"""One error dialect: every refusal is an AnpeiError (a stable code, its field, its params), and
every code a feature raises is worded in its domain's catalogue, translated in one place."""

import ast
import inspect
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import session
from flask_wtf import FlaskForm
from wtforms import StringField

import exam
from exam.certificates.errors import CertificateError
from exam.core import errors
from exam.core.errors import AnpeiError, Refusals, api_error, message
from exam.core.forms import put_on_form
from exam.exams.errors import ExamError
from exam.learning.errors import LearningError
from exam.questions.errors import TransitionError
from exam.screenings.errors import InvalidInput, ScreeningError
from exam.training.errors import TrainingError

ERRORS = {
    cls.__name__: cls
    for cls in (
        AnpeiError,
        ExamError,
        TrainingError,
        LearningError,
        ScreeningError,
        TransitionError,
        CertificateError,
    )
}
ROOT = Path(exam.__file__).parent


def _raised_codes() -> set[tuple[str, str, str]]:
    """(class, code, where) of every ``SomeError("code", …)`` written in the web app."""
    found = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ERRORS
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add((node.func.id, node.args[0].value, f"{path.name}:{node.lineno}"))
    return found


@contextmanager
def _in_english(app):
    with app.test_request_context():
        session["locale"] = "en"
        yield


def test_every_raised_code_has_its_words(app):
    raised = _raised_codes()
    assert len(raised) > 40  # the check reads the code it means to
    with app.test_request_context():
        for name, code, where in raised:
            domain = ERRORS[name].domain
            assert (domain, code) in errors._MESSAGES or ("core", code) in errors._MESSAGES, where


def test_every_error_class_speaks_the_dialect():
    for cls in ERRORS.values():
        assert issubclass(cls, AnpeiError)
        assert "code" in inspect.signature(cls).parameters or cls is not AnpeiError


def test_the_same_code_reads_by_its_domain(app):
    """ "cancelled" is a training session's and an attempt's, each in its own words."""
    with _in_english(app):
        assert TrainingError("cancelled").message == "This session has been cancelled."
        assert ExamError("cancelled").message == "This attempt's score has been cancelled."
        assert message("not_found") == "Not found, or not yours."


def test_params_reach_the_message(app):
    with _in_english(app):
        assert "12.5 MB" in LearningError("too_big", mb=12.5).message


def test_the_api_answers_a_refusal_with_its_code_status_and_words(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        response, status = api_error(ExamError("not_open"))
        assert status == 409
        assert response.get_json() == {
            "error": {"code": "not_open", "message": ExamError("not_open").message}
        }
        assert api_error("not_found")[1] == 404


def test_refusals_land_on_their_fields(app):
    class Form(FlaskForm):
        title = StringField()

    with _in_english(app):
        form = Form(meta={"csrf": False})
        put_on_form(
            form,
            InvalidInput([ScreeningError("duplicate_title", "title"), ScreeningError("unknown")]),
        )
        assert form.title.errors == ["A film with this title is already in the library."]
        assert form.form_errors == ["Choose from the list."]


@pytest.mark.parametrize("refusal", [InvalidInput([]), Refusals([])])
def test_several_refusals_are_one_error(refusal):
    assert isinstance(refusal, AnpeiError) and refusal.errors == []
