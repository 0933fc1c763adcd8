"""Connection settings: environment, secrets kept out of text, conflicts, URL redaction."""

from __future__ import annotations

import traceback

import pytest
from pydantic import SecretStr

from esorm.client import ConnectionSettings, redact_url
from esorm.client._errors import describe_connection_error
from esorm.errors import ConfigurationError

pytestmark = pytest.mark.unit

SECRET = "s3cr3t-Pa55"


def _all_text(settings: ConnectionSettings) -> str:
    return " ".join(
        [repr(settings), str(settings), f"{settings}", settings.model_dump_json(), settings.url]
    )


def test_defaults() -> None:
    settings = ConnectionSettings()
    assert settings.hosts == ("http://127.0.0.1:9200",)
    assert settings.api_key is None
    assert settings.basic_auth is None
    assert settings.verify_certs is True


def test_from_env_reads_every_variable() -> None:
    env = {
        "ESORM_URL": "https://a.example:9200, https://b.example:9200",
        "ESORM_USERNAME": "elastic",
        "ESORM_PASSWORD": SECRET,
        "ESORM_CA_CERTS": "/etc/ca.pem",
        "ESORM_VERIFY_CERTS": "false",
        "ESORM_REQUEST_TIMEOUT": "2.5",
        "ESORM_MAX_RETRIES": "0",
        "ESORM_RETRY_ON_TIMEOUT": "yes",
        "OTHER_URL": "http://ignored:9200",
    }
    settings = ConnectionSettings.from_env(environ=env)
    assert settings.hosts == ("https://a.example:9200", "https://b.example:9200")
    assert settings.basic_auth is not None
    assert settings.basic_auth[0] == "elastic"
    assert settings.basic_auth[1].get_secret_value() == SECRET
    assert settings.ca_certs == "/etc/ca.pem"
    assert settings.verify_certs is False
    assert settings.request_timeout == 2.5
    assert settings.max_retries == 0
    assert settings.retry_on_timeout is True
    kwargs = settings.client_kwargs()
    assert kwargs["basic_auth"] == ("elastic", SECRET)
    assert kwargs["hosts"] == ["https://a.example:9200", "https://b.example:9200"]


def test_from_env_with_other_prefix_and_empty_values() -> None:
    env = {"APP_URL": "http://x:9200", "APP_API_KEY": "", "APP_BEARER_TOKEN": SECRET}
    settings = ConnectionSettings.from_env("APP_", environ=env)
    assert settings.hosts == ("http://x:9200",)
    assert settings.api_key is None
    assert isinstance(settings.bearer_auth, SecretStr)
    assert SECRET not in _all_text(settings)


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESORM_URL", "http://env-host:9201")
    monkeypatch.setenv("ESORM_API_KEY", SECRET)
    settings = ConnectionSettings.from_env()
    assert settings.hosts == ("http://env-host:9201",)
    assert settings.client_kwargs()["api_key"] == SECRET


def test_api_key_as_id_and_key_pair() -> None:
    settings = ConnectionSettings.from_env(environ={"ESORM_API_KEY": f"key-id:{SECRET}"})
    assert settings.client_kwargs()["api_key"] == ("key-id", SECRET)
    assert SECRET not in _all_text(settings)
    assert "key-id" in repr(settings)


@pytest.mark.parametrize(
    "settings",
    [
        ConnectionSettings(api_key=SECRET),
        ConnectionSettings(api_key=("id", SECRET)),
        ConnectionSettings(basic_auth=("elastic", SECRET)),
        ConnectionSettings(bearer_auth=SECRET),
        ConnectionSettings(hosts=[f"https://elastic:{SECRET}@db.example:9243"]),
    ],
    ids=["api_key", "api_key_pair", "basic_auth", "bearer", "url_userinfo"],
)
def test_credentials_never_appear_in_text(settings: ConnectionSettings) -> None:
    text = _all_text(settings)
    assert SECRET not in text
    assert SECRET not in str(settings.model_dump())
    assert SECRET not in describe_connection_error(OSError(f"boom {SECRET}"), settings)


def test_userinfo_in_url_moves_to_basic_auth() -> None:
    settings = ConnectionSettings(hosts=[f"https://elastic:{SECRET}@db.example:9243/"])
    assert settings.hosts == ("https://db.example:9243/",)
    assert settings.basic_auth is not None
    assert settings.basic_auth[0] == "elastic"
    assert settings.basic_auth[1].get_secret_value() == SECRET


def test_percent_encoded_userinfo_is_decoded() -> None:
    settings = ConnectionSettings(hosts=["http://u%40x:p%3Aw@h:9200"])
    assert settings.basic_auth is not None
    assert settings.basic_auth[0] == "u@x"
    assert settings.basic_auth[1].get_secret_value() == "p:w"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_key": "k", "basic_auth": ("u", SECRET)},
        {"api_key": "k", "bearer_auth": SECRET},
        {"basic_auth": ("u", SECRET), "bearer_auth": "t"},
        {"api_key": "k", "hosts": [f"http://u:{SECRET}@h:9200"]},
        {"basic_auth": ("u", "p"), "hosts": [f"http://u:{SECRET}@h:9200"]},
        {"hosts": [f"http://u:{SECRET}@a:9200", "http://v:other@b:9200"]},
    ],
)
def test_conflicting_credentials_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings(**kwargs)
    # Neither the message nor any chained exception (pydantic echoes input) shows it.
    assert SECRET not in "".join(traceback.format_exception(info.value))


def test_conflicting_credentials_from_env() -> None:
    env = {"ESORM_API_KEY": "k", "ESORM_USERNAME": "u", "ESORM_PASSWORD": SECRET}
    with pytest.raises(ConfigurationError, match="conflicting credentials") as info:
        ConnectionSettings.from_env(environ=env)
    assert SECRET not in str(info.value)


def test_username_without_password_raises() -> None:
    with pytest.raises(ConfigurationError, match="ESORM_USERNAME and ESORM_PASSWORD"):
        ConnectionSettings.from_env(environ={"ESORM_USERNAME": "elastic"})


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"ESORM_VERIFY_CERTS": "maybe"}, "ESORM_VERIFY_CERTS"),
        ({"ESORM_REQUEST_TIMEOUT": "soon"}, "ESORM_REQUEST_TIMEOUT"),
        ({"ESORM_REQUEST_TIMEOUT": "0"}, "request_timeout"),
        ({"ESORM_URL": "ftp://h:21"}, "invalid host URL"),
        ({"ESORM_URL": "localhost:9200"}, "invalid host URL"),
    ],
)
def test_bad_values_raise_configuration_error(env: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        ConnectionSettings.from_env(environ=env)


def test_type_errors_become_configuration_error_without_input() -> None:
    with pytest.raises(ConfigurationError, match="request_timeout") as info:
        ConnectionSettings(request_timeout="later", api_key=SECRET)
    assert "later" not in str(info.value)
    assert SECRET not in str(info.value)
    # pydantic's ValidationError (which echoes input) is not chained for display.
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_bad_url_message_is_redacted() -> None:
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings(hosts=[f"ftp://u:{SECRET}@h:21"])
    assert SECRET not in str(info.value)
    assert "***@h:21" in str(info.value)


@pytest.mark.parametrize("password", ["se/cret", "pa#ss", "q?uery", "a@t", "123/456"])
def test_a_password_with_url_delimiters_moves_to_basic_auth(password: str) -> None:
    # urlsplit reads "/", "?" and "#" as the end of the host: "123/456" would be port 123
    settings = ConnectionSettings(hosts=[f"http://elastic:{password}@localhost:9200"])

    assert settings.hosts == ("http://localhost:9200",)
    assert settings.basic_auth is not None
    assert settings.basic_auth[1].get_secret_value() == password
    assert password not in _all_text(settings)


@pytest.mark.parametrize("password", ["se/cret", "pa#ss", "q?uery"])
def test_a_password_with_url_delimiters_is_not_echoed_in_errors(password: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ConnectionSettings(hosts=[f"ftp://elastic:{password}@localhost:9200"])

    assert password not in str(caught.value)
    assert "***@localhost:9200" in str(caught.value)


def test_ca_certs_needs_https() -> None:
    settings = ConnectionSettings(hosts=["http://h:9200"], ca_certs="/ca.pem")
    with pytest.raises(ConfigurationError, match="https"):
        settings.client_kwargs()
    tls = ConnectionSettings(hosts=["https://h:9200"], ca_certs="/ca.pem")
    assert tls.client_kwargs()["ca_certs"] == "/ca.pem"


def test_settings_are_frozen_and_hashable() -> None:
    settings = ConnectionSettings(api_key=SECRET)
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic's frozen error
        settings.max_retries = 5  # type: ignore[misc]
    assert hash(settings) == hash(ConnectionSettings(api_key=SECRET))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:9200", "http://127.0.0.1:9200"),
        (f"https://elastic:{SECRET}@db.example:9243/x", "https://***@db.example:9243/x"),
        (f"http://{SECRET}@h", "http://***@h"),
        (f"elastic:{SECRET}@h:9200", "***@h:9200"),
        (f"http://u:{SECRET}@[::1]:9200", "http://***@[::1]:9200"),
        (f"http://u:{SECRET}@[bad", "http://***@[bad"),
        ("http://u:se/cr#et?x@h:9200/p", "http://***@h:9200/p"),
        ("u:se/cret@h:9200", "***@h:9200"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
