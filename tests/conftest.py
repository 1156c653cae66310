"""Fixtures the whole suite shares."""

from __future__ import annotations

# The real Synapse homeserver (session-scoped fixtures `synapse_venv`, `synapse_server`).
pytest_plugins = ["tests.fakes.synapse"]
