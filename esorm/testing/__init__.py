"""Test support: an in-memory store, an embedded server, backend selection, the pytest plugin."""

from __future__ import annotations

from esorm.testing._backends import BackendKind, RunningServer, backend_kind, run_backend
from esorm.testing._cleanup import delete_prefixed
from esorm.testing._embedded import EmbeddedServer, noida_binary
from esorm.testing._process import find_free_port
from esorm.testing._recording import RecordingStore, StoreCall
from esorm.testing._requests import RecordedRequest, RequestLog, record_requests
from esorm.testing.memory import InMemoryStore

__all__ = [
    "BackendKind",
    "EmbeddedServer",
    "InMemoryStore",
    "RecordedRequest",
    "RecordingStore",
    "RequestLog",
    "RunningServer",
    "StoreCall",
    "backend_kind",
    "delete_prefixed",
    "find_free_port",
    "noida_binary",
    "record_requests",
    "run_backend",
]
