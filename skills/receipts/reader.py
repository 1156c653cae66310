"""Reading a photo with rapidocr (PP-OCR models inside its wheel): the printed lines, in order.

OCR gives text boxes; a receipt line is often two boxes (the label on the left, the amount on the
right), and a photo taken at a slant tilts every line. The boxes are turned back by the page's
tilt (the median angle of their top edges) and grouped into rows by their height on the page.
Blocking: callers run it in the worker pool (`services.workers.run("ocr", ...)`).

Speed (tests/benchmarks/voice_ocr.py): text is found on the photo scaled to at most 960 pixels
on its long side (the words are then read at full size), and rapidocr's angle classifier (which
turns each upside-down word round) is off: a photo taken upside down is turned round as a whole
and read again when the first reading finds no amount at all.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
DETECT_SIDE = 960
"""The long side, in pixels, of the picture text boxes are looked for on (rapidocr's 736 short
side scaled a 1000×2000 receipt up to no purpose; 736 long side missed small dates)."""
MONEY = re.compile(r"\d[.,]\d\d(?!\d)")


class PhotoProblem(Exception):
    """A photo that could not be read; `str()` is the sentence for the member."""


@dataclass(frozen=True)
class TextBox:
    text: str
    x: float
    y: float
    height: float


def rows_of(boxes: list[tuple[list[list[float]], str]]) -> list[str]:
    """The boxes (corner points, text) as lines top to bottom, each line's parts left to right."""
    if not boxes:
        return []
    angles = []
    for corners, _text in boxes:
        (x0, y0), (x1, y1) = corners[0], corners[1]
        if x1 - x0 > 20:
            angles.append(math.atan2(y1 - y0, x1 - x0))
    tilt = statistics.median(angles) if angles else 0.0
    cos, sin = math.cos(-tilt), math.sin(-tilt)
    placed = []
    for corners, text in boxes:
        cx = sum(point[0] for point in corners) / 4
        cy = sum(point[1] for point in corners) / 4
        height = math.dist(corners[0], corners[3])
        placed.append(TextBox(text, cx * cos - cy * sin, cx * sin + cy * cos, max(height, 1.0)))
    placed.sort(key=lambda box: box.y)
    rows: list[list[TextBox]] = []
    for box in placed:
        row = rows[-1] if rows else None
        if row is not None and abs(box.y - statistics.mean(b.y for b in row)) < 0.5 * box.height:
            row.append(box)
        else:
            rows.append([box])
    return ["  ".join(b.text.strip() for b in sorted(row, key=lambda b: b.x)) for row in rows]


class ReceiptReader:
    """One OCR engine for the process, created by the first photo that needs it."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._engine: Any = None
        self._loading = threading.Lock()

    def engine(self) -> Any:
        with self._loading:
            if self._engine is None:
                from rapidocr import RapidOCR

                params: dict[str, Any] = {
                    "Global.log_level": "error",
                    "Global.use_cls": False,
                    "Det.limit_type": "max",
                    "Det.limit_side_len": DETECT_SIDE,
                }
                if self.threads:
                    params["EngineConfig.onnxruntime.intra_op_num_threads"] = self.threads
                self._engine = RapidOCR(params=params)
            return self._engine

    def read(self, path: Path) -> list[str]:
        """The photo's printed lines (empty when it holds no text); raises PhotoProblem."""
        try:
            engine = self.engine()
        except Exception:
            log.exception("could not start the OCR engine")
            raise PhotoProblem(
                "I can't read photos right now: my text reader did not start. "
                "Please type the amount instead."
            ) from None
        try:
            rows = rows_of(boxes_in(engine(str(path))))
            if not any(MONEY.search(row) for row in rows):
                from PIL import Image, ImageOps

                with Image.open(path) as picture:
                    turned = ImageOps.exif_transpose(picture).convert("RGB").rotate(180)
                rows = rows_of(boxes_in(engine(turned))) or rows
        except Exception:
            log.warning("could not read the photo %s", path, exc_info=True)
            raise PhotoProblem(
                "I couldn't open that picture — it may be damaged. Please send it again."
            ) from None
        return rows


def boxes_in(found: Any) -> list[tuple[list[list[float]], str]]:
    """rapidocr's answer as (corner points, text) pairs; none when it found no text."""
    if found is None or found.boxes is None or found.txts is None:
        return []
    return [
        ([list(map(float, point)) for point in corners], str(text))
        for corners, text in zip(found.boxes, found.txts, strict=True)
    ]
