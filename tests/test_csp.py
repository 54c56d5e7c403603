"""No inline script or style: the Content-Security-Policy stays strict and nothing the app
serves needs it loosened (issue 18). The browser tests check the same on the pages they
visit (conftest's console guard); these check every template and the policy itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from inline_code import inline_code

from exam.core.web import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).parents[1] / "exam" / "templates"
STATIC = Path(__file__).parents[1] / "exam" / "static"
#: What a script may not do under the policy: write inline styles or handlers into the page
#: (setAttribute, or HTML text holding them), or run strings as code (no 'unsafe-eval').
#: Setting ``element.style.width`` (the CSSOM) is allowed and fine.
BLOCKED_IN_SCRIPTS = re.compile(
    r"""setAttribute\(\s*["'](?:style|on\w+)["']"""
    r"""|<[a-z][^<>]*\s(?:style|on\w+)\s*="""
    r"""|\beval\s*\(|\bnew\s+Function\s*\(|\bset(?:Timeout|Interval)\s*\(\s*["'`]"""
    r"""|javascript:""",
    re.IGNORECASE,
)


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize(
    "html",
    [
        "<script>start()</script>",
        "<style>p { color: red }</style>",
        '<td style="width: 14%">',
        '<select onchange="this.form.submit()">',
        "<svg><rect style='fill: red'/></svg>",
        '<a href=" JavaScript:go()">',
        '<td{% if wide %} style="min-width: 12em"{% endif %}>',
        '<p class="{{ a if b > c }}" onclick="go()">',
    ],
)
def test_the_checker_finds_each_kind_of_inline_code(html):
    assert inline_code(html), html


def test_the_checker_lets_scripts_from_files_and_presentation_attributes_be():
    html = (
        "<script src=\"{{ url_for('static', filename='a.js') }}\"></script>"
        '<svg><rect fill="#0d6efd" stroke-width="2"/></svg><p data-onchange="x">style=</p>'
    )
    assert inline_code(html) == []


def test_no_template_holds_inline_script_style_or_event_handlers():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50
    found = {
        str(path.relative_to(TEMPLATES)): problems
        for path in templates
        if (problems := inline_code(path.read_text(encoding="utf-8")))
    }
    assert not found, found


@pytest.mark.parametrize(
    "code",
    [
        'node.setAttribute("style", "width: 5%")',
        "node.setAttribute('onclick', 'go()')",
        'box.innerHTML = \'<div class="bar" style="width: 5%">\'',
        'eval("1 + 1")',
        'setTimeout("tick()", 100)',
    ],
)
def test_the_script_check_finds_what_the_policy_blocks(code):
    assert BLOCKED_IN_SCRIPTS.search(code)


def test_no_script_writes_inline_style_or_handlers_or_runs_strings():
    scripts = sorted(STATIC.rglob("*.js"))
    assert scripts
    found = {
        str(path.relative_to(STATIC)): [
            f"line {number}: {line.strip()}"
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if not line.lstrip().startswith("//") and BLOCKED_IN_SCRIPTS.search(line)
        ]
        for path in scripts
    }
    assert not {name: lines for name, lines in found.items() if lines}


def test_the_policy_allows_no_inline_script_or_style():
    directives = _directives(CONTENT_SECURITY_POLICY)
    for name in ("script-src", "style-src"):
        assert directives[name] == ["'self'"], directives[name]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


def test_pages_are_served_with_the_strict_policy_and_nothing_it_blocks(client, login_as):
    def check(url):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert inline_code(response.get_data(as_text=True)) == [], url

    check("/login")
    login_as()
    for url in ("/", "/manage/training", "/manage/training?view=week"):
        check(url)


def test_the_favicon_is_ours_at_its_fixed_address_and_linked(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert inline_code(svg.get_data(as_text=True)) == []
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
