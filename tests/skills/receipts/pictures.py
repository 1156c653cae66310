"""Receipt pictures drawn with Pillow at test time: black text on white, as a flat scan."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BAKERY = (
    ("Backerei Korn", ""),
    ("Lindenweg 4, Bremen", ""),
    ("14.06.2025 08:12", ""),
    ("Roggenbrot", "3,80"),
    ("Brezel 3 x 0,90", "2,70"),
    ("Apfelkuchen", "2,50"),
    ("SUMME EUR", "9,00"),
    ("Geg. Bar EUR", "10,00"),
    ("Ruckgeld EUR", "1,00"),
)


def receipt_picture(
    folder: Path, lines: tuple[tuple[str, str], ...] = BAKERY, name: str = "receipt.png"
) -> Path:
    """Each line's words on the left and its amount on the right, large and clear."""
    font = ImageFont.load_default(size=30)
    picture = Image.new("RGB", (640, 80 + 52 * len(lines)), "white")
    pen = ImageDraw.Draw(picture)
    for row, (words, amount) in enumerate(lines):
        y = 40 + 52 * row
        pen.text((30, y), words, fill="black", font=font)
        if amount:
            pen.text((480, y), amount, fill="black", font=font)
    target = folder / name
    picture.save(target)
    return target


def blank_picture(folder: Path) -> Path:
    """A photo with nothing printed on it (a sunset, say)."""
    target = folder / "sunset.png"
    Image.new("RGB", (320, 240), (250, 140, 60)).save(target)
    return target
