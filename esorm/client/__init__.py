"""Connecting to Elasticsearch: settings, client creation, readiness and version checks."""

from __future__ import annotations

from esorm.client._compat import client_version, install_hint
from esorm.client._connect import connect, create_client, wait_until_ready
from esorm.client._errors import (
    client_hosts,
    client_secrets,
    describe_connection_error,
    error_reason,
    error_type,
    is_compat_header_rejection,
    translate_errors,
    translate_transport_errors,
)
from esorm.client._redact import redact_url, split_userinfo
from esorm.client._settings import ConnectionSettings
from esorm.client._version import ServerVersion, check_server_version

__all__ = [
    "ConnectionSettings",
    "ServerVersion",
    "check_server_version",
    "client_hosts",
    "client_secrets",
    "client_version",
    "connect",
    "create_client",
    "describe_connection_error",
    "error_reason",
    "error_type",
    "install_hint",
    "is_compat_header_rejection",
    "redact_url",
    "split_userinfo",
    "translate_errors",
    "translate_transport_errors",
    "wait_until_ready",
]
