"""Make the demo's lesson video, exam/demo/duties.webm: one minute of title cards, one per duty
of a principal leader (安全生产法 第二十一条), with a progress bar and a clock.

Run once, at authoring time, when the cards change; the generated file is committed and ships
with the package, so neither `anpei demo` nor any extra needs PyAV (about 100 MB installed):

    pip install av && python scripts/make_demo_video.py

The cards are drawn with Pillow in the certificates' font (exam.core.printing).
"""

from __future__ import annotations

import sys
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from exam.core.printing import font_path
from exam.demo.learning import DEMO_VIDEO, DUTIES, NUMERALS

WIDTH, HEIGHT = 640, 360
SECONDS, FPS = 60, 5
#: Bits per second: title cards barely change, so a low rate keeps the file at a few hundred KB.
BIT_RATE = 40_000
#: A key frame every ten seconds, so a phone can seek without decoding the whole file.
KEY_FRAME_EVERY = 10 * FPS

BACKGROUND, TITLE, TEXT, BAR = (13, 64, 140), (255, 255, 255), (230, 236, 245), (255, 193, 7)


def wrapped(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def cards() -> list[tuple[str, str]]:
    """The title card, then one card per duty."""
    return [("主要负责人七项职责", "《安全生产法》第二十一条")] + [
        (f"职责（{NUMERALS[i]}）", duty) for i, duty in enumerate(DUTIES)
    ]


def frame(number: int, big, small) -> Image.Image:
    """Frame ``number``: the card of its moment, the progress bar and the clock."""
    second = number // FPS
    deck = cards()
    title, text = deck[min(len(deck) - 1, second * len(deck) // SECONDS)]
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((40, 60), title, font=big, fill=TITLE)
    for row, line in enumerate(wrapped(text, 20)):
        draw.text((40, 150 + row * 40), line, font=small, fill=TEXT)
    draw.rectangle((0, HEIGHT - 10, WIDTH * (number + 1) // (SECONDS * FPS), HEIGHT), fill=BAR)
    draw.text((560, 310), f"{second // 60}:{second % 60:02d}", font=small, fill=TITLE)
    return image


def main(out: Path = DEMO_VIDEO) -> None:
    path = font_path()
    big, small = ImageFont.truetype(path, 40), ImageFont.truetype(path, 26)
    with av.open(str(out), mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.bit_rate = BIT_RATE
        stream.gop_size = KEY_FRAME_EVERY
        for number in range(SECONDS * FPS):
            for packet in stream.encode(av.VideoFrame.from_image(frame(number, big, small))):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    print(f"{out}: {out.stat().st_size / 1024:.0f} KB, {SECONDS} s at {FPS} frames a second")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO_VIDEO)
