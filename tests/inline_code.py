"""Find what the Content-Security-Policy (``script-src 'self'; style-src 'self'``) blocks in
a page or a template: inline ``<script>`` and ``<style>`` elements, ``style`` attributes,
``on…`` event-handler attributes and ``javascript:`` addresses."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Jinja's comments, statements and expressions: read as text, never as tags or attributes
#: (a ``{% if a > b %}`` inside a tag would otherwise end it early).
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.DOTALL)
#: Attributes that hold an address.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._inline_script = False

    def _where(self) -> str:
        return f"line {self.getpos()[0]}"

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self._inline_script = True
        if tag == "style":
            self.found.append(f"{self._where()}: <style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"{self._where()}: style attribute on <{tag}>")
            elif name.startswith("on") and len(name) > 2:
                self.found.append(f"{self._where()}: {name} attribute on <{tag}>")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{self._where()}: javascript: address in {name} on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.found.append(f"{self._where()}: inline <script>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False


def inline_code(html: str) -> list[str]:
    """Each piece of inline script or style in ``html`` (a page or a Jinja template), with
    its line; empty when the policy blocks nothing."""
    finder = _Finder()
    # Keep the line numbers: each Jinja block becomes as many newlines as it spans.
    finder.feed(JINJA.sub(lambda m: "\n" * m.group(0).count("\n") or " ", html))
    finder.close()
    return finder.found
