"""Problems found in questions and files, as message ids with parameters.

The pure package cannot translate: it marks its messages with ``N_`` (so ``pybabel
extract`` finds them) and the web app translates them when it shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:  # noqa: N802 - the conventional name of a gettext marker
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Problem:
    """One thing wrong: ``message`` is an English msgid with ``%(name)s`` placeholders."""

    message: str
    params: dict = field(default_factory=dict)

    def render(self, gettext=None) -> str:
        """The message in the language of ``gettext`` (English without one)."""
        template = gettext(self.message) if gettext else self.message
        return template % self.params if self.params else template

    def __str__(self) -> str:
        return self.render()
