"""The certificates feature's refusals: its codes and their messages."""

from __future__ import annotations

from flask_babel import gettext as _

from exam.core.errors import AnpeiError, catalogue


class CertificateError(AnpeiError):
    """A refused step on a certificate (``not_current``, ``revoked``, ``conflict``)."""

    domain = "certificates"


catalogue(
    "certificates",
    {
        "not_current": lambda **p: _("Only a current certificate can be revoked or re-issued."),
        "revoked": lambda **p: _("Only a current certificate can be revoked or re-issued."),
        "conflict": lambda **p: _(
            "Another certificate was issued for this person at the same moment; try again."
        ),
    },
)
