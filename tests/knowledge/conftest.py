"""A small family vault on disk and the offline embedder, shared by the knowledge tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.embedders import OnnxE5Embedder
from knowledge.index import FIRST_BUILD_PREVIEW_NOTES

FAMILY_NOTES = {
    "House/Wi-Fi.md": (
        "---\ntags: [house]\naliases: [Internet, WLAN]\n---\n"
        "# Wi-Fi\n\nThe guest network is called Casa-Silva-Guest and its password is "
        "sunflower42. The router is in the hallway cupboard.\n\n"
        "## Resetting the router\n\nHold the reset button for ten seconds, then wait two "
        "minutes until the light turns green.\n"
    ),
    "Recipes/Grandma's apple pie.md": (
        "# Grandma's apple pie\n\n#recipes/dessert\n\n## Ingredients\n\n"
        "Six apples, 200 g flour, 100 g butter, cinnamon and brown sugar.\n\n"
        "## Baking\n\nBake at 180 °C for 45 minutes until the crust is golden.\n"
    ),
    "Kids/School.md": (
        "# School\n\nLeo's teacher is Mrs Okafor. School starts at 8:15 and the bus leaves "
        "the corner at 7:50. #family/kids\n\n> [!warning] Allergy\n> Leo is allergic to "
        "peanuts; the school nurse has his EpiPen.\n"
    ),
    "Car/Insurance.md": (
        "---\ntitle: Car insurance\n---\n# Policy\n\nThe car is insured with Allianz, "
        "policy number AZ-4471-9920, renewal every March.\n"
    ),
    "Health/Vaccinations.md": (
        "# Vaccinations\n\nAna had her tetanus booster in 2023. Leo's next measles shot is "
        "due at age six. See [[Kids/School|school notes]] for the nurse.\n"
    ),
}


def write_note(vault: Path, relative: str, text: str) -> Path:
    """Writes a note into the vault, creating its folder."""
    path = vault / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GARDEN_NOTES = FIRST_BUILD_PREVIEW_NOTES


def plant_garden(vault: Path) -> None:
    """Enough notes that a first build answers from keywords instead of being waited for."""
    for number in range(1, GARDEN_NOTES + 1):
        write_note(
            vault,
            f"Garden/Plant {number:02}.md",
            f"# Plant {number:02}\n\nWater the plant{number:02} pot every {number % 7 + 1} days.",
        )


@pytest.fixture(scope="session")
def embedder() -> OnnxE5Embedder:
    """The offline embedder used in production; loaded once, stateless between calls."""
    return OnnxE5Embedder()


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A family vault with five notes, Obsidian's settings folder, a trashed note and a photo."""
    root = tmp_path / "vault"
    for relative, text in FAMILY_NOTES.items():
        write_note(root, relative, text)
    write_note(root, ".obsidian/workspace.md", "# Workspace\n\nsunflower42 layout\n")
    write_note(root, ".trash/Old Wi-Fi.md", "# Old Wi-Fi\n\nThe old password was tulip7.\n")
    (root / "House" / "router.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root
