"""The key pages in Chinese with no loose ends (issue 18): each is rendered in zh-CN as the
roles that use it, on the demo district, and its text must hold no English message left
untranslated and no raw code — an audit action (``questions.import``), a question kind
(``single``), a status (``retired``) or a question named ``#185 … v1``."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from test_route_sweep import demo  # noqa: F401  (the demo district, built once per module)

PO = Path(__file__).parents[1] / "exam" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"

#: The English of every message the catalogue translates into something else, placeholders
#: excepted (a text with its values filled in cannot equal them).
with PO.open("rb") as _fh:
    ENGLISH = {
        m.id
        for m in read_po(_fh)
        if isinstance(m.id, str)
        and m.string
        and m.string != m.id
        and "%(" not in m.id
        and re.search("[A-Za-z]{2}", m.id)
    }
#: Codes that are words in English too, and show as such only when left untranslated.
#: (Account roles aside: the demo's logins are named admin, organiser and contact.)
RAW_WORDS = {
    # question kinds and lifecycle
    "single", "multiple", "truefalse", "fill", "draft", "reviewed", "active", "retired",
    # exams, attempts, certificates, training, tracker, posts
    "upcoming", "open", "closed", "in_progress", "submitted", "valid", "expired", "revoked",
    "superseded", "enrolled", "waiting", "withdrawn", "cancelled", "passed", "failed",
    "not_passed", "expiring", "onsite", "online", "principal_leader", "safety_director",
    "safety_manager",
}  # fmt: skip
#: A dotted action code such as ``questions.import`` or ``account.sign_out``.
ACTION_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b")
#: A question named by its code and version (``question #185 … v1``).
QUESTION_CODE = re.compile(r"#\d+\b.*\bv\d+\b")
#: Dotted words a page may show as they are: file names and addresses.
DOTTED_OK = re.compile(
    r"\.(xlsx|csv|pdf|docx|txt|xml|gift|ics|css|js|png|jpg|ttf|ttc|gov|cn|com|org)\b"
)


class _Text(HTMLParser):
    """The text a reader sees (and the ``title``, ``placeholder``, ``aria-label`` and ``alt``
    a screen reader speaks), scripts and styles aside."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def loose_ends(html: str) -> list[str]:
    """What in a page is English left untranslated or a raw code."""
    parser = _Text()
    parser.feed(html)
    found = []
    for text in parser.texts:
        if text in ENGLISH:
            found.append(f"untranslated: {text!r}")
        elif text in RAW_WORDS:
            found.append(f"raw code: {text!r}")
        elif QUESTION_CODE.search(text):
            found.append(f"question by code: {text!r}")
        else:
            found += [
                f"action code: {code!r} in {text!r}"
                for code in ACTION_CODE.findall(text)
                if not DOTTED_OK.search(code)
            ]
    return list(dict.fromkeys(found))  # each loose end once


GIFT = """\
::安全方针:: 安全生产工作应当坚持什么方针？ {=安全第一、预防为主、综合治理 ~效益优先 ~速度第一}

::持证上岗:: 特种作业人员必须持证上岗。 {T}

::填空:: 安全生产工作坚持{=安全第一}的方针。
""".encode()

#: Page → the roles that use it (and whose page must answer 200).
PAGES = {
    "/": ("admin", "organiser", "hazchem", "contact", "candidate"),
    "/exams": ("candidate",),
    "/manage/exams/": ("admin", "organiser", "hazchem"),
    "/manage/exams/{exam_id}": ("admin", "organiser"),
    "/manage/exams/{exam_id}/invigilate": ("admin", "organiser"),
    "/questions/": ("admin", "organiser"),
    "/audit/": ("admin",),
    "/reports/": ("admin", "organiser", "hazchem"),
    "/reports/tracker": ("admin", "organiser"),
    "/manage/certificates": ("admin", "organiser"),
    "/manage/training": ("admin", "organiser"),
    "/people": ("admin", "organiser", "contact"),
    "/enterprises/{enterprise_id}": ("admin", "contact"),
    # Where kinds and statuses show: a question, an attempt, a certificate, a session, a
    # course's progress, a person's file, the item analysis.
    "/questions/{question_id}": ("admin",),
    "/manage/exams/{exam_id}/attempts/{attempt_id}": ("admin",),
    "/manage/certificates/{certificate_id}": ("admin",),
    "/manage/training/{session_id}": ("admin",),
    "/manage/learning/{course_id}/stats": ("admin",),
    "/learning/courses/{course_id}": ("candidate",),
    "/people/{person_id}": ("admin",),
    "/reports/person/{person_id}": ("admin",),
    "/reports/exams/{exam_id}/items": ("admin",),
    "/accounts/{user_id}": ("admin",),
    "/verify/{number}": ("anonymous",),
}
CASES = [(page, role) for page, roles in PAGES.items() for role in roles]


@pytest.mark.parametrize(("page", "role"), CASES, ids=[f"{r} {p}" for p, r in CASES])
def test_the_page_reads_in_chinese_with_no_code_showing(demo, page, role):  # noqa: F811
    url = page.format(**demo.values["own"])
    response = demo.clients[role].get(url, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200, f"{role}: GET {url} answered {response.status_code}"
    html = response.get_data(as_text=True)
    assert 'lang="zh' in html
    assert not loose_ends(html), f"{role}: GET {url}: {loose_ends(html)}"


def test_the_question_import_preview_reads_in_chinese(demo):  # noqa: F811
    response = demo.clients["admin"].post(
        "/questions/import",
        data={"file": (io.BytesIO(GIFT), "安全.gift"), "format": ""},
        content_type="multipart/form-data",
        headers={"Accept-Language": "zh-CN"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="confirm-import"' in html, html[-2000:]
    assert not loose_ends(html), loose_ends(html)
    for words in ("单选题", "判断题", "填空题", "第1空：安全第一"):
        assert words in html, words
    assert "[[" not in html


def test_the_checks_catch_what_they_name():
    page = (
        "<p>questions.import</p><td>single</td><td>retired</td><p>question #185 安全 v1</p>"
        "<p>Save</p><script>var a = 'x.y';</script><p>模板.xlsx</p>"
    )
    found = loose_ends(page)
    assert len(found) == 5, found
