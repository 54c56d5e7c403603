"""Every GET page of the app, requested as each role of the demo district: no page answers
with a server error, and each answers the status the table below documents.

The routes come from ``app.url_map``, so a new page is swept as soon as it exists: its
parameters are filled from real demo objects (a parameter nobody knows how to fill fails
the sweep, it is never skipped), and its blueprint's defaults say what each role gets
unless the page is listed among the exceptions. Each page with an object in its address is
requested with an object of the contact's enterprise, in the hazardous-chemicals organiser's
sector and town ("own"), with one beyond both ("foreign": another enterprise's person,
certificate, attempt …), and where it takes an exam or attempt, with the candidate's own
attempt under way ("mine") and the makeup exam ("makeup"), and with ids and names no object
has ("missing"). Redirects are not followed.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from conftest import BASE_CONFIG, IsolatedClient, _reset_postgres
from inline_code import inline_code
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from exam import create_app
from exam.auth.models import User
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.demo.data import DEMO_PASSWORD
from exam.demo.district import build_district
from exam.reports.queries.figures import GROUP_BYS
from exam.reports.queries.weakness import BY as WEAKNESS_BY

ROLES = ("admin", "organiser", "hazchem", "contact", "candidate", "anonymous")
#: The demo's logins (README "Demo logins"); the candidate logs in with the ID number printed.
STAFF_LOGINS = {
    "admin": "admin",
    "organiser": "organiser",
    "hazchem": "organiser-hazchem",
    "contact": "contact",
}
LOGIN = "login"  # a redirect (302) to the login page


def row(statuses: str) -> dict[str, str]:
    """What each role gets, written in ROLES order: ``"200 200 404 403 403 login"``; a
    redirect elsewhere is written ``302/path`` (``{attempt_id}`` … are filled in)."""
    found = statuses.split()
    assert len(found) == len(ROLES), statuses
    return dict(zip(ROLES, found, strict=True))


# --- the documented statuses ---------------------------------------------------------------
# Order:           admin organiser hazchem contact candidate anonymous
EVERYONE = row("200 200 200 200 200 200")
SIGNED_IN = row("200 200 200 200 200 login")
ADMIN = row("200 403 403 403 403 login")
STAFF = row("200 200 200 403 403 login")  # administrators and organisers
REGISTER = row("200 200 200 200 403 login")  # staff and enterprise contacts
CANDIDATE = row("403 403 403 403 200 login")
#: A page about one exam or course: the demo's are for every sector and town, beyond the
#: hazardous-chemicals organiser's scope, so not found for them (their own exam: see
#: expected()); contacts and candidates are refused.
MANAGED = row("200 200 404 403 403 login")

#: What each role gets on a blueprint's pages, unless the page is an exception below.
BY_BLUEPRINT = {
    "home": SIGNED_IN,
    "auth": SIGNED_IN,
    "accounts": ADMIN,
    "audit": ADMIN,
    "reference": ADMIN,
    "people": REGISTER,
    "questions": STAFF,
    "exams": CANDIDATE,
    "practice": CANDIDATE,
    "manage_exams": MANAGED,
    "manage_learning": MANAGED,
    "campaigns": MANAGED,  # the demo's campaign is for the whole district
    "learning": row("200 200 200 404 200 login"),  # courses are for candidates; staff preview
    "screenings": STAFF,
    "training": STAFF,  # the sessions' pages: "own" is the hazchem organiser's session
    "certificates": MANAGED,
    "reports": STAFF,
    "api": row("404 404 404 404 404 401"),  # the candidate's JSON API: staff have no attempts
    "api-docs": EVERYONE,
    "verify": EVERYONE,  # the public certificate lookup
    "bootstrap": EVERYONE,
    None: EVERYONE,  # the app's own: static files, health check
}
#: Pages that differ from their blueprint, by endpoint or (for one of an endpoint's
#: addresses) by rule.
EXCEPTIONS = {
    "auth.login": row("302/ 302/ 302/ 302/ 302/ 200"),  # signed in: home
    "people.edit_enterprise": ADMIN,
    "people.import_upload": ADMIN,
    "people.import_template": ADMIN,
    "people.import_template_csv": ADMIN,
    "people.edit_person": row("200 403 403 200 403 login"),  # the contact keeps their people
    "people.leave": row("200 403 403 200 403 login"),
    "exams.sit": row("403 403 403 403 404 login"),  # not the candidate's own attempt
    "exams.result": row("403 403 403 403 404 login"),
    "exams.worker": EVERYONE,  # the exam page's service worker: a script, no data
    "api.my_exams": row("404 404 404 404 200 401"),
    "questions.media": SIGNED_IN,  # pictures in questions, shown to candidates too
    "questions.edit_topic": ADMIN,
    "/manage/exams/": STAFF,
    "/manage/exams/new": STAFF,
    "/manage/campaigns/": STAFF,
    "/manage/campaigns/new": STAFF,
    "/manage/learning/": STAFF,
    "/manage/learning/new": STAFF,
    "/manage/learning/stats": STAFF,
    "/manage/learning/stats.xlsx": STAFF,
    "learning.mine": CANDIDATE,
    "training.mine": CANDIDATE,
    "training.person_hours": REGISTER,
    "training.evidence": REGISTER,
    "training.session_ics": EVERYONE,  # calendars carry no personal data
    "training.feed": EVERYONE,
    "training.signin": row("403 403 403 403 409 login"),  # no code from the room: refused
    "certificates.mine": CANDIDATE,
    "certificates.admission_mine": CANDIDATE,
    "certificates.pdf": row("200 200 200 200 404 login"),  # not the candidate's certificate
    "certificates.index": REGISTER,
    "certificates.detail": REGISTER,
    "certificates.seal": ADMIN,
    "certificates.seal_image": ADMIN,
    "reports.summary": ADMIN,
    "reports.enterprise_file": REGISTER,
    "reports.enterprise_file_export": REGISTER,
    "reports.person_file": REGISTER,
    "reports.person_file_export": REGISTER,
    "reports.exam_items_page": MANAGED,
    "reports.exam_items_pdf": MANAGED,
    "reports.exam_items_xlsx": MANAGED,
    "reports.training_page": STAFF,  # issue 17: the bureau's and organisers' report pages
    "reports.training_export": STAFF,
    "reports.safety_directors": STAFF,
    "reports.safety_directors_export": STAFF,
    # Publishing's confirmation: the demo's exams are published, so their own page shows it.
    "manage_exams.publish": row(
        "302/manage/exams/{exam_id} 302/manage/exams/{exam_id} 404 403 403 login"
    ),
}
#: Variants that differ from the rule for them (see expected()), by (endpoint, variant).
VARIANT_EXCEPTIONS = {
    ("manage_exams.publish", "makeup"): row(
        "302/manage/exams/{exam_id} 302/manage/exams/{exam_id} 404 403 403 login"
    ),
    ("manage_exams.publish", "missing"): row("404 404 404 403 403 login"),
    ("manage_exams.publish", "mine"): row(
        " ".join(["302/manage/exams/{exam_id}"] * 3) + " 403 403 login"
    ),
    ("exams.sit", "mine"): row("403 403 403 403 200 login"),
    # 考试须知 of an exam with an attempt under way: the attempt itself.
    ("exams.notice", "mine"): row("403 403 403 403 302/attempts/{attempt_id} login"),
    ("exams.result", "mine"): row("403 403 403 403 302/attempts/{attempt_id} login"),  # under way
    ("api.attempt", "mine"): row("404 404 404 404 200 401"),
    ("api.result", "mine"): BY_BLUEPRINT["api"],  # under way: no result yet
    ("training.signin", "missing"): row("403 403 403 403 404 login"),
    # The demo candidate signed in at that session: shown as signed in, whatever the code.
    ("training.signin", "foreign"): row("403 403 403 403 200 login"),
    ("people.import_template_csv", "missing"): row("302/import 403 403 403 403 login"),
    ("verify.lookup", "query"): row(" ".join(["302/verify/AP2026-00000-00000"] * 6)),
    # The other course has no file lesson.
    ("learning.lesson_file", "foreign"): row("404 404 404 404 404 login"),
    ("learning.lesson_page", "foreign"): row("404 404 404 404 404 login"),
    # Courses hold no personal data: staff preview any; every candidate may study them.
    ("learning.course", "foreign"): BY_BLUEPRINT["learning"],
    ("learning.lesson", "foreign"): BY_BLUEPRINT["learning"],
    # Calendars and the public certificate lookup are for anyone.
    ("training.session_ics", "foreign"): EVERYONE,
    ("verify.show", "foreign"): EVERYONE,
}


# --- the demo district, once per database -------------------------------------------------


@dataclass
class Demo:
    """The demo app, a logged-in client per role, and the values to fill addresses with."""

    app: object
    clients: dict = field(default_factory=dict)
    #: variant -> argument name -> value (see _values).
    values: dict = field(default_factory=dict)


def _pick(objects, inside):
    """The first object ``inside`` accepts (the first of all if it accepts none) and the
    first it refuses."""
    objects = list(objects)
    foreign = next(o for o in objects if not inside(o))
    return next((o for o in objects if inside(o)), objects[0]), foreign


def _extras(leader_user, hazchem, foreign_person) -> None:
    """What the demo has none of, added as the app would: an exam and a training session of
    the hazardous-chemicals organiser's own (the demo's are for every sector and town), the
    leader's attempt at that exam (under way), outside training with evidence for two
    people, and a picture in the question bank."""
    from exam.exams import services as exam_services
    from exam.exams.models import Exam
    from exam.questions.models import QuestionMedia
    from exam.training.models import ExternalTraining, TrainingSession
    from exam.training.services import new_secret

    now = utcnow()
    demo_exam = db.session.scalar(
        select(Exam).where(Exam.makeup_of_id.is_(None), Exam.closes_at > now)
    )
    sectors, towns = list(hazchem.scope_sectors), list(hazchem.scope_towns)
    exam = Exam(
        title="危险化学品企业专题考试",
        blueprint=demo_exam.blueprint,
        eligibility={
            **demo_exam.eligibility,
            "sector_ids": [s.id for s in sectors],
            "town_ids": [t.id for t in towns],
        },
        opens_at=demo_exam.opens_at,
        closes_at=demo_exam.closes_at,
        duration_minutes=demo_exam.duration_minutes,
        created_by_id=hazchem.id,
    )
    db.session.add(exam)
    assert exam_services.publish(exam, now) == []
    exam_services.start_attempt(exam, leader_user, now)
    db.session.add(
        TrainingSession(
            title="危险化学品企业主要负责人培训",
            hours=4,
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7, hours=5),
            signin_secret=new_secret(),
            sectors=sectors,
            invitation={},
            created_by_id=hazchem.id,
        )
    )
    for person_id in (leader_user.person_id, foreign_person.id):
        db.session.add(
            ExternalTraining(
                person_id=person_id,
                title="危险化学品安全管理培训",
                provider="市安全生产培训中心",
                held_on=date.today() - timedelta(days=30),
                hours=8,
                evidence_name="证明.pdf",
                evidence_type="application/pdf",
                evidence=b"%PDF-1.4\n%%EOF\n",
            )
        )
    db.session.add(QuestionMedia(name="sweep.png", content_type="image/png", data=b"\x89PNG"))
    db.session.commit()


def _values(candidate_login: str) -> dict:
    """Argument values per variant: "own" people, certificates, attempts, sessions and
    screenings are of the contact's enterprise or within the hazardous-chemicals organiser's
    scope (where there is one), "foreign" ones beyond both, "mine" the candidate's own attempt
    (under way) and its exam, "makeup" the makeup exam, "missing" what no object has."""
    from exam.campaigns.models import Campaign
    from exam.certificates.models import Certificate
    from exam.exams.models import Attempt, Exam
    from exam.learning import access as learning_access
    from exam.learning.models import Course, Lesson, LessonKind
    from exam.people.access import visible_people
    from exam.people.models import Person, Town
    from exam.questions.models import Question, QuestionMedia, Topic
    from exam.screenings import access as screenings_access
    from exam.screenings.models import Film, Screening
    from exam.training import access as training_access
    from exam.training.models import ExternalTraining, TrainingSession

    users = {u.username: u for u in db.session.scalars(select(User))}
    hazchem, contact = users["organiser-hazchem"], users["contact"]
    leader_user = users[candidate_login]

    # Outside the register as the hazardous-chemicals organiser and the contact see it.
    seen_by_hazchem = set(db.session.scalars(visible_people(hazchem).with_only_columns(Person.id)))
    with_certificates = list(
        db.session.scalars(
            select(Person).join(Certificate, Certificate.person_id == Person.id).order_by(Person.id)
        )
    )
    own_person = next(p for p in with_certificates if p.enterprise_id == contact.enterprise_id)
    foreign_person = next(
        p
        for p in with_certificates
        if p.id not in seen_by_hazchem and p.enterprise_id != contact.enterprise_id
    )
    _extras(leader_user, hazchem, foreign_person)

    def certificate_of(person):
        return db.session.scalar(select(Certificate).where(Certificate.person_id == person.id))

    def attempt_of(user_of_person):
        return db.session.scalar(
            select(Attempt)
            .join(User, User.id == Attempt.user_id)
            .where(User.person_id == user_of_person.id)
        )

    own_attempt, foreign_attempt = attempt_of(own_person), attempt_of(foreign_person)
    my_attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == leader_user.id))
    makeup = db.session.scalar(select(Exam).where(Exam.makeup_of_id.is_not(None)))
    sessions = db.session.scalars(select(TrainingSession).order_by(TrainingSession.id))
    own_session, foreign_session = _pick(sessions, lambda s: training_access.can_manage(hazchem, s))
    own_screening, foreign_screening = _pick(
        db.session.scalars(select(Screening).order_by(Screening.id)),
        lambda s: screenings_access.can_manage(hazchem, s.sector_id, s.town_id),
    )
    pdf_lesson = db.session.scalar(select(Lesson).where(Lesson.kind == LessonKind.PDF))
    courses = list(db.session.scalars(select(Course).order_by(Course.id)))
    foreign_course = next(
        (c for c in courses if not learning_access.can_manage(hazchem, c)), pdf_lesson.course
    )
    entries = {e.person_id: e.id for e in db.session.scalars(select(ExternalTraining))}
    own_certificate = certificate_of(own_person)
    own = {
        "user_id": contact.id,
        "enterprise_id": contact.enterprise_id,
        "person_id": leader_user.person_id,
        "entry_id": entries[leader_user.person_id],
        "exam_id": own_attempt.exam_id,
        "attempt_id": own_attempt.id,
        "certificate_id": own_certificate.id,
        "number": own_certificate.number,
        "session_id": own_session.id,
        "screening_id": own_screening.id,
        "film_id": db.session.scalar(select(Film.id).limit(1)),
        "course_id": pdf_lesson.course_id,
        "lesson_id": pdf_lesson.id,
        "page": 1,
        "question_id": db.session.scalar(select(Question.id).order_by(Question.id).limit(1)),
        "topic_id": db.session.scalar(select(Topic.id).where(Topic.code == "G1")),
        "parent_id": db.session.scalar(select(Topic.id).where(Topic.code == "G1")),
        "name": db.session.scalar(select(QuestionMedia.name)),
        "kind": "town",  # reference data: sectors or towns (the import templates: below)
        "item_id": db.session.scalar(select(Town.id).limit(1)),
        "filename": "app.css",
        "campaign_id": db.session.scalar(select(Campaign.id).limit(1)),
    }
    foreign = {
        "enterprise_id": foreign_person.enterprise_id,
        "person_id": foreign_person.id,
        "entry_id": entries[foreign_person.id],
        "attempt_id": foreign_attempt.id,
        "certificate_id": certificate_of(foreign_person).id,
        "number": certificate_of(foreign_person).number,
        "session_id": foreign_session.id,
        "screening_id": foreign_screening.id,
        "course_id": foreign_course.id,
        "lesson_id": next(iter(foreign_course.lessons)).id,
    }
    assert set(own) == FILLED
    mine = {"exam_id": my_attempt.exam_id, "attempt_id": my_attempt.id}
    missing = {name: MISSING_ID if name.endswith("_id") else "missing" for name in own}
    return {
        "own": own,
        "foreign": {**own, **foreign},
        "missing": {**missing, "page": MISSING_ID},
        "mine": {**own, **mine},
        "makeup": {**own, "exam_id": makeup.id},
    }


#: The parameters _values() fills, whatever page they are in.
FILLED = frozenset({
    "user_id", "enterprise_id", "person_id", "entry_id", "exam_id", "attempt_id",
    "certificate_id", "number", "session_id", "screening_id", "film_id", "course_id",
    "lesson_id", "page", "question_id", "topic_id", "parent_id", "name", "kind", "item_id",
    "filename", "campaign_id",
})  # fmt: skip
#: An id no demo object has (the largest a URL accepts).
MISSING_ID = 2**31 - 1
#: Values one page needs that differ from its parameter's usual value.
ENDPOINT_VALUES = {
    "people.import_template_csv": {"kind": "people"},
    "bootstrap.static": {"filename": "css/bootstrap.min.css"},
}


@pytest.fixture(scope="module")
def demo(backend, tmp_path_factory):
    """The demo district on this backend, built once for the module, with a client logged in
    per role (anonymous: never logged in)."""
    if backend["name"] == "sqlite":
        path = tmp_path_factory.mktemp("sweep") / "demo.sqlite"
        shutil.copy(backend["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = backend["url"]
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "LEARNING_STORAGE": str(tmp_path_factory.mktemp("sweep-learning")),
            "VERIFY_PER_MINUTE": 10_000,  # the public lookup's throttle is not swept here
            # On PostgreSQL the report pages read as from a replica (ANPEI_REPORTS_DATABASE_URL):
            # in read-only transactions, so a report GET that wrote would fail the sweep.
            "REPORTS_DATABASE_URL": url if backend["name"] == "postgresql" else "",
        }
    )
    # Each request in a context of its own, as a worker runs it (``g`` holds the user).
    app.test_client_class = IsolatedClient
    with app.app_context():
        district = build_district(2026)
        candidate_login = next(r[1] for r in district.logins.rows if r[1][:1].isdigit())
        demo = Demo(app=app, values=_values(candidate_login))
        logins = {**STAFF_LOGINS, "candidate": candidate_login}
        for role, login in logins.items():
            client = app.test_client()
            response = client.post("/login", data={"login": login, "password": DEMO_PASSWORD})
            assert response.status_code == 302, (role, response.get_data(as_text=True)[:500])
            demo.clients[role] = client
        demo.clients["anonymous"] = app.test_client()
        db.session.remove()
    yield demo
    with app.app_context():
        db.engine.dispose()
    if backend["name"] == "postgresql":
        _reset_postgres(url)


# --- the routes ----------------------------------------------------------------------------


#: The app whose URL map is swept (no database is opened to read it).
MAP = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).url_map
FOREIGN_ARGUMENTS = {
    "enterprise_id", "person_id", "entry_id", "attempt_id", "certificate_id", "number",
    "session_id", "screening_id", "course_id", "lesson_id",
}  # fmt: skip
#: Query strings a page is also requested with: every grouping of the figures.
QUERIES = {
    "reports.pass_rates": [{"group_by": g} for g in GROUP_BYS],
    "reports.pass_rates_export": [{"group_by": g} for g in GROUP_BYS],
    "reports.weakness_page": [{"by": b} for b in WEAKNESS_BY],
    "reports.weakness_pdf": [{"by": b} for b in WEAKNESS_BY],
    "reports.weakness_xlsx": [{"by": b} for b in WEAKNESS_BY],
    "verify.lookup": [{"number": "AP2026-00000-00000"}],
    # Training by sector and topic (issue 17): a period, and one sector of it.
    "reports.training_page": [{"from": "2026-01-01", "to": "2026-12-31"}, {"sector": "3"}],
    "reports.training_export": [{"from": "2026-01-01", "to": "2026-12-31"}, {"sector": "3"}],
    # Enterprises without the safety director they must have: a sector and a town.
    "reports.safety_directors": [{"sector": "3", "town": "1"}],
    "reports.safety_directors_export": [{"sector": "3"}],
}


@dataclass(frozen=True)
class Case:
    """One address to request as every role."""

    endpoint: str
    rule: str
    variant: str  # own, foreign, mine, makeup, missing (see _values)
    fixed: tuple = ()  # (argument, value) pairs chosen here (an ``any`` converter's choice)
    query: tuple = ()

    @property
    def id(self) -> str:
        fixed = ",".join(f"{k}={v}" for k, v in self.fixed + self.query)
        return f"{self.endpoint} {self.rule}{' ' + fixed if fixed else ''} [{self.variant}]"


def _variants(arguments: set[str]) -> list[str]:
    """The variants of a page with these parameters (an ``any`` converter's excepted)."""
    variants = ["own", "missing"] if arguments else ["own"]
    if arguments & FOREIGN_ARGUMENTS:
        variants.append("foreign")
    if arguments & {"exam_id", "attempt_id"}:
        variants.append("mine")
    if "exam_id" in arguments and "attempt_id" not in arguments:
        variants.append("makeup")
    return variants


def _cases() -> list[Case]:
    cases = []
    for rule in sorted(MAP.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        choices = [
            [(name, item) for item in sorted(converter.items)]
            for name, converter in rule._converters.items()
            if isinstance(converter, AnyConverter)
        ]
        arguments = set(rule.arguments) - set(rule.defaults or {}) - {c[0][0] for c in choices}
        queries = [()] + [tuple(sorted(q.items())) for q in QUERIES.get(rule.endpoint, [])]
        for variant in _variants(arguments):
            for fixed in itertools.product(*choices):
                for query in queries:
                    cases.append(Case(rule.endpoint, rule.rule, variant, fixed, query))
    return cases


CASES = _cases()


def expected(case: Case) -> dict[str, str]:
    """The documented status of each role on this case: the page's (or its blueprint's) row;
    an object beyond a scoped role's reach is not found (404) where its own is shown."""
    blueprint = case.endpoint.rpartition(".")[0] or None
    if case.endpoint in EXCEPTIONS or case.rule in EXCEPTIONS:
        own = EXCEPTIONS.get(case.rule) or EXCEPTIONS[case.endpoint]
    elif blueprint in BY_BLUEPRINT:
        own = BY_BLUEPRINT[blueprint]
    else:
        pytest.fail(
            f"no documented statuses for {case.endpoint}: add its blueprint to BY_BLUEPRINT"
        )
    variant = "query" if case.query else case.variant
    if (case.endpoint, variant) in VARIANT_EXCEPTIONS:
        return VARIANT_EXCEPTIONS[case.endpoint, variant]
    if variant == "foreign":
        scoped = {"hazchem", "contact"}
        return {r: "404" if r in scoped and s == "200" else s for r, s in own.items()}
    if variant == "missing":  # whoever may see such objects is told this one is not found
        return {r: "404" if s == "200" else s for r, s in own.items()}
    if variant == "mine" and own["hazchem"] == "404":
        return {**own, "hazchem": "200"}  # the candidate's attempt is at the organiser's exam
    return own


def _url(case: Case, values: dict) -> str:
    rule = next(r for r in MAP.iter_rules(case.endpoint) if r.rule == case.rule)
    needed = set(rule.arguments) - set(rule.defaults or {}) - {k for k, _ in case.fixed}
    chosen = {
        **values,
        **(ENDPOINT_VALUES.get(case.endpoint, {}) if case.variant != "missing" else {}),
    }
    missing = needed - set(chosen)
    if missing:
        pytest.fail(
            f"{case.rule} has parameters the sweep cannot fill: {sorted(missing)}; "
            "add real demo values for them to _values() in tests/test_route_sweep.py"
        )
    _, path = rule.build({**{n: chosen[n] for n in needed}, **dict(case.fixed)}, False)
    return path + ("?" + urlencode(case.query) if case.query else "")


def _outcome(response) -> str:
    """The status, and for a redirect where it goes (the login page: ``LOGIN``)."""
    if response.status_code in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers.get("Location", "")).path
        return LOGIN if target == "/login" else f"{response.status_code}{target}"
    return str(response.status_code)


def _params():
    for case in CASES:
        yield pytest.param(case, id=case.id)


@pytest.mark.parametrize("case", list(_params()))
def test_every_page_answers_each_role_as_documented(demo, case):
    values = demo.values[case.variant]
    url = _url(case, values)
    want = {role: status.format(**values) for role, status in expected(case).items()}
    found = {}
    for role in ROLES:
        response = demo.clients[role].get(url)  # redirects are not followed
        assert response.status_code < 500, f"{role}: GET {url} answered {response.status_code}"
        if response.mimetype == "text/html":  # nothing the Content-Security-Policy blocks
            inline = inline_code(response.get_data(as_text=True))
            assert not inline, f"{role}: GET {url} holds inline code: {inline}"
        found[role] = _outcome(response)
    wrong = {
        role: f"{found[role]} (documented: {want[role]})"
        for role in ROLES
        if found[role] != want[role]
    }
    assert not wrong, f"GET {url}: {wrong}"


def test_the_sweep_fills_every_parameter_of_every_page():
    """A page whose parameter the sweep cannot fill would never be requested: refuse it."""
    unfilled = {}
    for rule in MAP.iter_rules():
        if "GET" not in rule.methods:
            continue
        chosen = {n for n, c in rule._converters.items() if isinstance(c, AnyConverter)}
        chosen |= set(ENDPOINT_VALUES.get(rule.endpoint, {}))
        missing = set(rule.arguments) - set(rule.defaults or {}) - chosen - FILLED
        if missing:
            unfilled[rule.rule] = sorted(missing)
    assert not unfilled, (
        f"pages with parameters the sweep cannot fill: {unfilled}; add real demo values for "
        "them to _values() and FILLED in tests/test_route_sweep.py"
    )


def test_the_table_names_only_pages_that_exist():
    """An exception for a page that was renamed or removed would document nothing."""
    names = {r.endpoint for r in MAP.iter_rules()} | {r.rule for r in MAP.iter_rules()}
    blueprints = {e.rpartition(".")[0] or None for e in names if not e.startswith("/")}
    assert set(EXCEPTIONS) <= names, set(EXCEPTIONS) - names
    assert {e for e, _ in VARIANT_EXCEPTIONS} <= names
    assert set(BY_BLUEPRINT) <= blueprints, set(BY_BLUEPRINT) - blueprints


def test_the_demo_has_a_campaign_of_two_rounds_and_a_makeup(demo):
    """The demo's campaign: 第一期 (closed) with its makeup and 第二期, both open now, so its
    sentence is provisional; the dashboard gives it in the bureau's words."""
    from exam.campaigns.models import Campaign
    from exam.exams.models import Exam
    from exam.reports.queries.campaigns import MEASURES

    with demo.app.app_context():
        campaign = db.session.scalar(select(Campaign))
        rounds = [link.exam for link in campaign.rounds]
        makeups = db.session.scalars(
            select(Exam).where(Exam.makeup_of_id.in_([e.id for e in rounds]))
        ).all()
        campaign_id, year = campaign.id, campaign.year
        db.session.remove()
    assert len(rounds) == 2 and len(makeups) == 1
    admin = demo.clients["admin"]
    page = admin.get(f"/reports/campaigns/{campaign_id}").get_data(as_text=True)
    assert "家企业的主要负责人、安全总监共" in page and "（暂计，尚有考试或补考未结束）" in page
    dashboard = admin.get(f"/reports/?year={year}").get_data(as_text=True)
    assert "首次考试合格率" in dashboard and "经补考最终合格率" in dashboard
    for measure in MEASURES:
        for by in ("", "enterprise"):
            url = f"/reports/campaigns/{campaign_id}/people?measure={measure}&by={by}"
            assert admin.get(url).status_code == 200, url
