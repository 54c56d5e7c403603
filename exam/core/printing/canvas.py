"""A reportlab canvas for one PDF in our Chinese font, and binary streams while it renders."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

__all__ = ["binary_streams", "pdf_canvas"]

_stream_lock = threading.RLock()


@contextmanager
def binary_streams() -> Iterator[None]:
    """Write binary (not ASCII85) streams while rendering. reportlab ASCII85-encodes every
    stream by default, in pure Python unless the optional ``rl_accel`` extension is
    installed: that took a third of the render time and made each PDF a quarter larger.
    The setting is global, so it is switched off only for the duration of a render (either
    setting yields a valid PDF, for any other reportlab user meanwhile). The lock also keeps
    renders from sharing a cached image reader (a seal), whose file position reportlab moves."""
    with _stream_lock:
        previous = rl_config.useA85
        rl_config.useA85 = 0
        try:
            yield
        finally:
            rl_config.useA85 = previous


def pdf_canvas(buffer: io.BytesIO, pagesize: tuple[float, float], font: str) -> Canvas:
    """A compressed PDF canvas whose initial font is ``font``."""
    # The initial font is ours, so no (unembedded) Helvetica is referenced.
    return Canvas(
        buffer, pagesize=pagesize, pageCompression=1, initialFontName=font, initialFontSize=10
    )
