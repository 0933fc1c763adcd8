"""Connection settings: hosts, credentials and transport options, never leaking a secret."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    SecretStr,
    ValidationError,
    model_validator,
)

from esorm.client._json import fast_serializers
from esorm.client._redact import redact_url, split_userinfo
from esorm.errors import ConfigurationError

DEFAULT_HOST = "http://127.0.0.1:9200"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ConnectionSettings(BaseModel):
    """Where the cluster is and how to authenticate; immutable and safe to print.

    Credentials are held as ``SecretStr``, so ``repr``, ``str`` and logs show
    ``**********``. A ``user:password@`` part inside a host URL is moved into
    ``basic_auth`` on construction, so the stored hosts never carry secrets.
    Invalid settings raise ``ConfigurationError`` (never pydantic's
    ``ValidationError``, whose message would echo the input values).

    Attributes:
        hosts: Node URLs, ``http://`` or ``https://``.
        api_key: An encoded API key, or an ``(id, key)`` pair.
        basic_auth: A ``(username, password)`` pair.
        bearer_auth: A bearer token.
        ca_certs: Path to a CA bundle (only used with ``https`` hosts).
        verify_certs: Whether TLS certificates are verified.
        request_timeout: Seconds per request, set once on the client.
        max_retries: Retries of a request on connection errors.
        retry_on_timeout: Whether a timed-out request is retried.
        fast_json: Whether JSON goes through orjson when it is installed (the ``fast``
            extra), falling back to the standard library wherever the two could differ.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    hosts: tuple[str, ...] = (DEFAULT_HOST,)
    api_key: SecretStr | tuple[str, SecretStr] | None = None
    basic_auth: tuple[str, SecretStr] | None = None
    bearer_auth: SecretStr | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    request_timeout: float = 10.0
    max_retries: int = 3
    retry_on_timeout: bool = False
    fast_json: bool = True

    @model_validator(mode="wrap")
    @classmethod
    def _as_configuration_error(
        cls, data: Any, handler: ModelWrapValidatorHandler[ConnectionSettings]
    ) -> ConnectionSettings:
        # pydantic's ValidationError would echo input values (secrets); say what, not which.
        try:
            return handler(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
                for err in exc.errors(include_input=False, include_url=False)
            )
            raise ConfigurationError(f"invalid connection settings: {problems}") from None

    @model_validator(mode="before")
    @classmethod
    def _move_url_credentials(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        raw = values.get("hosts", (DEFAULT_HOST,))
        if isinstance(raw, str):
            raw = raw.split(",")
        if not isinstance(raw, list | tuple):
            raise ConfigurationError("invalid connection settings: hosts must be a list of URLs")
        hosts: list[str] = []
        found: set[tuple[str, str]] = set()
        for item in raw:
            if not isinstance(item, str):
                raise ConfigurationError("invalid connection settings: hosts must be strings")
            host, auth = _split_userinfo(item.strip())
            hosts.append(host)
            if auth is not None:
                found.add(auth)
        if not hosts:
            raise ConfigurationError("invalid connection settings: at least one host is needed")
        values["hosts"] = tuple(hosts)
        if len(found) > 1:
            raise ConfigurationError(
                "invalid connection settings: the host URLs carry different credentials"
            )
        if found:
            if values.get("basic_auth") is not None:
                raise ConfigurationError(
                    "invalid connection settings: credentials given both in a host URL "
                    "and as basic_auth; give them once"
                )
            values["basic_auth"] = found.pop()
        return values

    @model_validator(mode="after")
    def _check(self) -> ConnectionSettings:
        given = [
            name
            for name in ("api_key", "basic_auth", "bearer_auth")
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise ConfigurationError(
                f"conflicting credentials: {' and '.join(given)} are both set; "
                f"configure exactly one way to authenticate"
            )
        if self.request_timeout <= 0:
            raise ConfigurationError("request_timeout must be a positive number of seconds")
        if self.max_retries < 0:
            raise ConfigurationError("max_retries must not be negative")
        return self

    @property
    def url(self) -> str:
        """The first host, safe to print."""
        return redact_url(self.hosts[0])

    @property
    def uses_tls(self) -> bool:
        """True when any host is reached over ``https``."""
        return any(h.lower().startswith("https://") for h in self.hosts)

    def secrets(self) -> list[str]:
        """The secret values held, for scrubbing them from foreign messages."""
        out: list[str] = []
        if isinstance(self.api_key, SecretStr):
            out.append(self.api_key.get_secret_value())
        elif self.api_key is not None:
            out.append(self.api_key[1].get_secret_value())
        if self.basic_auth is not None:
            out.append(self.basic_auth[1].get_secret_value())
        if self.bearer_auth is not None:
            out.append(self.bearer_auth.get_secret_value())
        return out

    @classmethod
    def from_env(
        cls, prefix: str = "ESORM_", environ: Mapping[str, str] | None = None
    ) -> ConnectionSettings:
        """Read settings from environment variables.

        Reads ``{prefix}URL`` (comma-separated hosts), ``API_KEY`` (encoded, or
        ``id:key``), ``USERNAME``/``PASSWORD``, ``BEARER_TOKEN``, ``CA_CERTS``,
        ``VERIFY_CERTS``, ``REQUEST_TIMEOUT``, ``MAX_RETRIES``, ``RETRY_ON_TIMEOUT``
        and ``FAST_JSON``. Unset or empty variables keep the defaults.

        Args:
            prefix: Prefix of every variable name.
            environ: Where to read from; ``os.environ`` by default.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(prefix + name, "").strip()
            return value or None

        data: dict[str, Any] = {}
        if (url := get("URL")) is not None:
            data["hosts"] = [h for h in url.split(",") if h.strip()]
        if (api_key := get("API_KEY")) is not None:
            key_id, sep, key = api_key.partition(":")
            data["api_key"] = (key_id, key) if sep else api_key
        username, password = get("USERNAME"), get("PASSWORD")
        if (username is None) != (password is None):
            raise ConfigurationError(f"{prefix}USERNAME and {prefix}PASSWORD must be set together")
        if username is not None:
            data["basic_auth"] = (username, password)
        if (token := get("BEARER_TOKEN")) is not None:
            data["bearer_auth"] = token
        if (ca_certs := get("CA_CERTS")) is not None:
            data["ca_certs"] = ca_certs
        for name, field in (
            ("VERIFY_CERTS", "verify_certs"),
            ("RETRY_ON_TIMEOUT", "retry_on_timeout"),
            ("FAST_JSON", "fast_json"),
        ):
            if (raw := get(name)) is not None:
                data[field] = _parse_bool(prefix + name, raw)
        for name, field, kind in (
            ("REQUEST_TIMEOUT", "request_timeout", float),
            ("MAX_RETRIES", "max_retries", int),
        ):
            if (raw := get(name)) is not None:
                try:
                    data[field] = kind(raw)
                except ValueError:
                    raise ConfigurationError(
                        f"{prefix}{name} must be a {kind.__name__}, got {raw!r}"
                    ) from None
        return cls(**data)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``AsyncElasticsearch``, secrets revealed."""
        kwargs: dict[str, Any] = {
            "hosts": list(self.hosts),
            "verify_certs": self.verify_certs,
            "request_timeout": self.request_timeout,
            "max_retries": self.max_retries,
            "retry_on_timeout": self.retry_on_timeout,
        }
        if isinstance(self.api_key, SecretStr):
            kwargs["api_key"] = self.api_key.get_secret_value()
        elif self.api_key is not None:
            kwargs["api_key"] = (self.api_key[0], self.api_key[1].get_secret_value())
        if self.basic_auth is not None:
            kwargs["basic_auth"] = (self.basic_auth[0], self.basic_auth[1].get_secret_value())
        if self.bearer_auth is not None:
            kwargs["bearer_auth"] = self.bearer_auth.get_secret_value()
        serializers = fast_serializers() if self.fast_json else None
        if serializers is not None:
            kwargs["serializers"] = serializers
        if self.ca_certs is not None:
            if not self.uses_tls:
                raise ConfigurationError("ca_certs is set but no host uses https")
            kwargs["ca_certs"] = self.ca_certs
        return kwargs


def _split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """Split ``scheme://user:pw@host`` into a clean URL and the credentials."""
    userinfo, clean = split_userinfo(url)
    try:
        parts = urlsplit(clean)
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"invalid host URL {redact_url(url)!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"invalid host URL {redact_url(url)!r}: expected http(s)://host[:port]"
        )
    del port
    if userinfo is None:
        return url, None
    user, _, password = userinfo.partition(":")
    return clean, (unquote(user), unquote(password))


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")
