"""TypedDicts of the Watcher DSL (trigger, input, condition, actions, transform), for editors.

At runtime any `Mapping` of the same shape is accepted; `Watch` checks it before sending.
Keys that are Python keywords (`from`, `in`) use the functional TypedDict syntax.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias, TypedDict

from pydantic import SecretStr

Scalar: TypeAlias = str | int | float | bool
HttpMethod: TypeAlias = Literal[
    "head", "get", "post", "put", "delete", "HEAD", "GET", "POST", "PUT", "DELETE"
]

# -- trigger -----------------------------------------------------------------------------------


class HourlyDict(TypedDict):
    minute: int | list[int]


class DailyDict(TypedDict):
    at: str | list[str]


class WeeklyDict(TypedDict):
    on: str | list[str]
    at: str | list[str]


class MonthlyDict(TypedDict):
    on: int | list[int]
    at: str | list[str]


YearlyDict = TypedDict(
    "YearlyDict", {"in": str | list[str], "on": int | list[int], "at": str | list[str]}
)


class ScheduleDict(TypedDict, total=False):
    """Exactly one schedule type."""

    interval: str | int
    cron: str | list[str]
    hourly: HourlyDict
    daily: DailyDict
    weekly: WeeklyDict | list[WeeklyDict]
    monthly: MonthlyDict | list[MonthlyDict]
    yearly: YearlyDict | list[YearlyDict]


class TriggerDict(TypedDict):
    schedule: ScheduleDict


# -- input -------------------------------------------------------------------------------------


class ScriptDict(TypedDict, total=False):
    source: str
    id: str
    lang: str
    params: dict[str, Any]


class SearchRequestDict(TypedDict, total=False):
    indices: list[str]
    body: dict[str, Any]
    template: ScriptDict
    search_type: Literal["query_then_fetch", "dfs_query_then_fetch"]
    indices_options: dict[str, Any]
    rest_total_hits_as_int: bool


class SearchInputBody(TypedDict, total=False):
    request: SearchRequestDict
    extract: list[str]
    timeout: str


class InputDict(TypedDict, total=False):
    """Exactly one input type."""

    search: SearchInputBody
    simple: dict[str, Any]
    http: dict[str, Any]
    chain: dict[str, Any]
    none: dict[str, Any]


# -- condition ---------------------------------------------------------------------------------


class CompareOps(TypedDict, total=False):
    """One operator per compared path; values may be `<{now-5m}>` date math or `{{ctx...}}`."""

    eq: Any
    not_eq: Any
    gt: Any
    gte: Any
    lt: Any
    lte: Any


class ConditionDict(TypedDict, total=False):
    """Exactly one condition type."""

    always: dict[str, Any]
    never: dict[str, Any]
    compare: dict[str, CompareOps]
    array_compare: dict[str, dict[str, Any]]
    script: ScriptDict | str


# -- transform ---------------------------------------------------------------------------------


class TransformDict(TypedDict, total=False):
    """Exactly one transform type."""

    search: SearchInputBody
    script: ScriptDict | str
    chain: list[TransformDict]


# -- actions -----------------------------------------------------------------------------------


class BasicAuthDict(TypedDict):
    username: str
    password: str | SecretStr


class HttpAuthDict(TypedDict):
    basic: BasicAuthDict


class ProxyDict(TypedDict):
    host: str
    port: int


class WebhookDict(TypedDict, total=False):
    scheme: Literal["http", "https"]
    host: str
    port: int
    method: HttpMethod
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: str
    auth: HttpAuthDict
    proxy: ProxyDict
    connection_timeout: str
    read_timeout: str
    url: str


class IndexActionBody(TypedDict, total=False):
    index: str
    doc_id: str
    op_type: Literal["index", "create"]
    execution_time_field: str
    timeout: str
    refresh: Literal["true", "false", "wait_for"]


class LoggingActionBody(TypedDict, total=False):
    text: str
    category: str
    level: Literal["error", "warn", "info", "debug", "trace"]


class EmailBodyDict(TypedDict, total=False):
    text: str
    html: str


EmailActionBody = TypedDict(
    "EmailActionBody",
    {
        "account": str,
        "from": str,
        "to": str | list[str],
        "cc": str | list[str],
        "bcc": str | list[str],
        "reply_to": str | list[str],
        "subject": str,
        "body": str | EmailBodyDict,
        "priority": Literal["lowest", "low", "normal", "high", "highest"],
        "attachments": dict[str, Any],
    },
    total=False,
)

SlackMessageDict = TypedDict(
    "SlackMessageDict",
    {
        "from": str,
        "to": list[str],
        "icon": str,
        "text": str,
        "attachments": list[dict[str, Any]],
        "dynamic_attachments": dict[str, Any],
    },
    total=False,
)


class SlackActionBody(TypedDict, total=False):
    account: str
    message: SlackMessageDict


class PagerDutyEventDict(TypedDict, total=False):
    description: str
    event_type: Literal["trigger", "resolve", "acknowledge"]
    incident_key: str
    client: str
    client_url: str
    attach_payload: bool
    contexts: list[dict[str, Any]]


class PagerDutyActionBody(TypedDict, total=False):
    account: str
    event: PagerDutyEventDict


class ActionDict(TypedDict, total=False):
    """Exactly one action type, plus the options every action may carry."""

    webhook: WebhookDict
    index: IndexActionBody
    logging: LoggingActionBody
    email: EmailActionBody
    slack: SlackActionBody
    pagerduty: PagerDutyActionBody
    jira: dict[str, Any]
    throttle_period: str
    throttle_period_in_millis: int
    condition: ConditionDict
    transform: TransformDict
    foreach: str
    max_iterations: int


__all__ = [
    "ActionDict",
    "BasicAuthDict",
    "CompareOps",
    "ConditionDict",
    "DailyDict",
    "EmailActionBody",
    "EmailBodyDict",
    "HourlyDict",
    "HttpAuthDict",
    "HttpMethod",
    "IndexActionBody",
    "InputDict",
    "LoggingActionBody",
    "MonthlyDict",
    "PagerDutyActionBody",
    "PagerDutyEventDict",
    "ProxyDict",
    "Scalar",
    "ScheduleDict",
    "ScriptDict",
    "SearchInputBody",
    "SearchRequestDict",
    "SlackActionBody",
    "SlackMessageDict",
    "TransformDict",
    "TriggerDict",
    "WebhookDict",
    "WeeklyDict",
    "YearlyDict",
]
