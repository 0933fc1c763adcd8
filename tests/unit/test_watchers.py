"""Watch definitions -> the exact `put_watch` JSON; bad input fails before any request.

Pure values only: nothing here talks to a server. `WatcherManager` is tested over HTTP in
`tests/integration/test_watcher_manager.py` (against a Watcher stand-in, as the embedded
server has no Watcher API) and `tests/integration/test_watchers.py` (real Elasticsearch).
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from esorm.client import ConnectionSettings
from esorm.errors import ConfigurationError, NotRegisteredError, QueryError
from esorm.mapping import Registry
from esorm.query import Sort, fields, match_all
from esorm.watchers import (
    Action,
    Condition,
    Schedule,
    Watch,
    WatchDefinitionError,
    chain_input,
    delete_matching,
    search_input,
    simple_input,
)

pytestmark = pytest.mark.unit

SECRET = "s3cr3t-Pa55"


class Post(BaseModel):
    id: str | None = None
    region: str
    views: int = 0


class Unregistered(BaseModel):
    id: str


@pytest.fixture
def registry() -> Registry:
    registry = Registry(prefix="blog_")
    registry.register(Post, index="posts")
    return registry


def every_10m(name: str = "w", **parts: Any) -> Watch:
    return Watch(name, trigger=Schedule.every("10m"), **parts)


# -- schedules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "interval"),
    [
        ("10m", "10m"),
        ("30s", "30s"),
        ("1w", "1w"),
        (90, "90s"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=36), "36h"),
        (timedelta(days=14), "2w"),
        (timedelta(seconds=90), "90s"),
    ],
)
def test_every_writes_watcher_intervals(given: Any, interval: str) -> None:
    assert Schedule.every(given) == {"schedule": {"interval": interval}}


@pytest.mark.parametrize(
    "bad", ["10 minutes", "10", "0s", "1.5h", "10M", "", "5ms", 0, -3, True, None]
)
def test_every_refuses_what_watcher_cannot_parse(bad: Any) -> None:
    with pytest.raises(WatchDefinitionError, match=r"Schedule\.every: invalid interval") as info:
        Schedule.every(bad)
    assert "e.g. '30s', '10m', '1d'" in str(info.value)


@pytest.mark.parametrize("bad", [timedelta(milliseconds=1500), timedelta(0)])
def test_every_refuses_fractions_of_a_second(bad: timedelta) -> None:
    with pytest.raises(WatchDefinitionError, match="whole number of seconds, at least 1"):
        Schedule.every(bad)


def test_cron_one_or_several_expressions() -> None:
    assert Schedule.cron("0 0/15 * * * ?") == {"schedule": {"cron": "0 0/15 * * * ?"}}
    assert Schedule.cron("0 0 9 ? * MON-FRI", "0 0 12 * * ? 2030") == {
        "schedule": {"cron": ["0 0 9 ? * MON-FRI", "0 0 12 * * ? 2030"]}
    }


def test_a_unix_cron_is_refused_with_the_seconds_hint() -> None:
    with pytest.raises(WatchDefinitionError) as info:
        Schedule.cron("*/5 * * * *")
    message = str(info.value)
    assert "has 5 fields, Watcher needs 6 or 7" in message
    assert "seconds minutes hours day-of-month month day-of-week [year]" in message
    assert "e.g. '0 */5 * * * *'" in message


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("0 0 12 * * ? 2030 extra", "has 8 fields"),
        ("0 0", "has 2 fields"),
        ("0 0 12 * * *", "put '?' in exactly one of day-of-month ('*') and day-of-week ('*')"),
        ("0 0 12 ? * ?", "put '?' in exactly one"),
    ],
)
def test_cron_field_count_and_day_fields_are_checked(bad: str, problem: str) -> None:
    with pytest.raises(WatchDefinitionError, match=re.escape(problem)):
        Schedule.cron(bad)


def test_calendar_schedules() -> None:
    assert Schedule.hourly() == {"schedule": {"hourly": {"minute": [0]}}}
    assert Schedule.hourly(0, 30) == {"schedule": {"hourly": {"minute": [0, 30]}}}
    assert Schedule.daily() == {"schedule": {"daily": {"at": ["midnight"]}}}
    assert Schedule.daily("06:00", "noon") == {"schedule": {"daily": {"at": ["06:00", "noon"]}}}
    assert Schedule.weekly("friday", "17:30") == {
        "schedule": {"weekly": {"on": ["friday"], "at": ["17:30"]}}
    }
    assert Schedule.weekly(["mon", "Wednesday"]) == {
        "schedule": {"weekly": {"on": ["mon", "wednesday"], "at": ["midnight"]}}
    }
    assert Schedule.monthly([1, 15], ["noon", "23:59"]) == {
        "schedule": {"monthly": {"on": [1, 15], "at": ["noon", "23:59"]}}
    }


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: Schedule.hourly(60), "invalid minute 60"),
        (lambda: Schedule.daily("25:00"), "invalid time of day '25:00'"),
        (lambda: Schedule.daily("5pm"), "invalid time of day '5pm'"),
        (lambda: Schedule.weekly("someday"), "invalid day of week 'someday'"),
        (lambda: Schedule.weekly([]), "name at least one day"),
        (lambda: Schedule.monthly(32), "invalid day of month 32"),
    ],
)
def test_calendar_schedules_check_their_values(build: Any, problem: str) -> None:
    with pytest.raises(WatchDefinitionError, match=re.escape(problem)):
        build()


# -- conditions --------------------------------------------------------------------------------


def test_conditions() -> None:
    assert Condition.always() == {"always": {}}
    assert Condition.never() == {"never": {}}
    assert Condition.compare("ctx.payload.hits.total", "gte", 5) == {
        "compare": {"ctx.payload.hits.total": {"gte": 5}}
    }
    assert Condition.hits_above() == {"compare": {"ctx.payload.hits.total": {"gt": 0}}}
    assert Condition.compare("ctx.execution_time", "lt", "<{now-5m}>") == {
        "compare": {"ctx.execution_time": {"lt": "<{now-5m}>"}}
    }
    assert Condition.array_compare(
        "ctx.payload.aggregations.per_region.buckets", "gte", 25, element="doc_count"
    ) == {
        "array_compare": {
            "ctx.payload.aggregations.per_region.buckets": {
                "path": "doc_count",
                "gte": {"value": 25, "quantifier": "some"},
            }
        }
    }
    assert Condition.script("return params.x > 1", params={"x": 2}, lang="painless") == {
        "script": {"source": "return params.x > 1", "lang": "painless", "params": {"x": 2}}
    }


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (
            lambda: Condition.compare("ctx.payload.x", "bigger", 1),  # type: ignore[arg-type]
            "unknown operator 'bigger'",
        ),
        (lambda: Condition.compare("", "eq", 1), "the compared path must be a non-empty"),
        (
            lambda: Condition.array_compare("p", "eq", 1, quantifier="most"),  # type: ignore[arg-type]
            "'some' or 'all'",
        ),
        (lambda: Condition.script("  "), "non-empty source"),
    ],
)
def test_conditions_check_their_arguments(build: Any, problem: str) -> None:
    with pytest.raises(WatchDefinitionError, match=re.escape(problem)):
        build()


# -- inputs ------------------------------------------------------------------------------------


def test_search_input_uses_the_prefixed_index_and_esorm_queries(registry: Registry) -> None:
    P = fields(registry.mapping_for(Post))
    made = search_input(
        Post,
        (P.region == "eu") & (P.views > 10),
        registry=registry,
        size=5,
        sort=Sort(P.views.desc()),
        source=["region"],
        aggregations={"per_region": {"terms": {"field": "region"}}},
        extract=["hits.total", "aggregations"],
        timeout="30s",
    )
    assert made == {
        "search": {
            "request": {
                "indices": ["blog_posts"],
                "rest_total_hits_as_int": True,
                "body": {
                    "query": {
                        "bool": {
                            "filter": [
                                {"term": {"region": "eu"}},
                                {"range": {"views": {"gt": 10}}},
                            ]
                        }
                    },
                    "size": 5,
                    "sort": [{"views": {"order": "desc"}}],
                    "_source": ["region"],
                    "aggs": {"per_region": {"terms": {"field": "region"}}},
                },
            },
            "extract": ["hits.total", "aggregations"],
            "timeout": "30s",
        }
    }


def test_search_input_targets(registry: Registry) -> None:
    mapping = registry.mapping_for(Post)
    assert search_input(mapping)["search"]["request"] == {
        "indices": ["blog_posts"],
        "rest_total_hits_as_int": True,
        "body": {},
    }
    raw = {"match": {"title": "{{ctx.metadata.word}}"}}
    request = search_input(["logs-*", mapping], raw, total_hits_as_int=False)["search"]["request"]
    assert request == {
        "indices": ["logs-*", "blog_posts"],
        "rest_total_hits_as_int": False,
        "body": {"query": raw},
    }


def test_search_input_refuses_unknown_targets(registry: Registry) -> None:
    with pytest.raises(NotRegisteredError, match="'Unregistered' is not registered"):
        search_input(Unregistered, registry=registry)
    with pytest.raises(WatchDefinitionError, match=r"search_input: pass registry= to find"):
        search_input(Post)
    with pytest.raises(WatchDefinitionError, match="expected a registered entity class"):
        search_input(42, registry=registry)  # type: ignore[arg-type]
    with pytest.raises(WatchDefinitionError, match="size must be a whole number"):
        search_input("logs", size=-1)
    with pytest.raises(QueryError):
        search_input("logs", "region:eu")  # type: ignore[arg-type]


def test_simple_and_chain_inputs(registry: Registry) -> None:
    assert simple_input({"limit": 5}) == {"simple": {"limit": 5}}
    assert chain_input(
        config=simple_input({"limit": 5}), posts=search_input("blog_posts", size=0)
    ) == {
        "chain": {
            "inputs": [
                {"config": {"simple": {"limit": 5}}},
                {
                    "posts": {
                        "search": {
                            "request": {
                                "indices": ["blog_posts"],
                                "rest_total_hits_as_int": True,
                                "body": {"size": 0},
                            }
                        }
                    }
                },
            ]
        }
    }
    with pytest.raises(WatchDefinitionError, match="exactly one type of search, simple"):
        chain_input(bad={})


# -- actions -----------------------------------------------------------------------------------


def test_webhook_from_a_url() -> None:
    action = Action.webhook(
        "https://hooks.example:8443/api/alert?source=es",
        body={"text": "{{ctx.payload.hits.total}} hits"},
        params={"tag": "prod"},
        auth=("bot", SECRET),
        read_timeout=timedelta(seconds=30),
    )
    rendered = every_10m(actions={"hook": action}).to_dict()["actions"]["hook"]
    assert rendered == {
        "webhook": {
            "scheme": "https",
            "host": "hooks.example",
            "port": 8443,
            "path": "/api/alert",
            "method": "post",
            "params": {"source": "es", "tag": "prod"},
            "body": '{"text":"{{ctx.payload.hits.total}} hits"}',
            "headers": {"Content-Type": "application/json"},
            "auth": {"basic": {"username": "bot", "password": SECRET}},
            "read_timeout": "30s",
        }
    }
    assert SECRET not in repr(action)  # kept as a SecretStr until sent


def test_webhook_defaults_and_refusals() -> None:
    assert Action.webhook("http://hooks.example", method="GET") == {
        "webhook": {"scheme": "http", "host": "hooks.example", "port": 80, "method": "get"}
    }
    with pytest.raises(WatchDefinitionError) as info:
        Action.webhook(f"https://bot:{SECRET}@hooks.example/x")
    assert "carries credentials; pass them as auth=" in str(info.value)
    assert SECRET not in str(info.value)
    with pytest.raises(WatchDefinitionError, match="expected http"):
        Action.webhook("ftp://hooks.example")
    with pytest.raises(WatchDefinitionError, match="unknown method 'patch'"):
        Action.webhook("http://h", method="patch")  # type: ignore[arg-type]
    with pytest.raises(WatchDefinitionError, match="needs a non-empty password"):
        Action.webhook("http://h", auth=("bot", ""))


def test_other_actions(registry: Registry) -> None:
    assert Action.index(Post, registry=registry, doc_id="{{ctx.watch_id}}", refresh="true") == {
        "index": {"index": "blog_posts", "doc_id": "{{ctx.watch_id}}", "refresh": "true"}
    }
    assert Action.index("audit", op_type="create") == {
        "index": {"index": "audit", "op_type": "create"}
    }
    assert Action.logging("{{ctx.payload.hits.total}} posts", level="warn") == {
        "logging": {"text": "{{ctx.payload.hits.total}} posts", "level": "warn"}
    }
    assert Action.email("ops@example.com", "Alert", body="see {{ctx.watch_id}}") == {
        "email": {
            "to": ["ops@example.com"],
            "subject": "Alert",
            "body": {"text": "see {{ctx.watch_id}}"},
        }
    }
    assert Action.slack(["#ops", "@jane"], "hi", account="team") == {
        "slack": {"message": {"to": ["#ops", "@jane"], "text": "hi"}, "account": "team"}
    }
    assert Action.pagerduty("disk full", event_type="trigger", account="main") == {
        "pagerduty": {
            "event": {"description": "disk full", "event_type": "trigger"},
            "account": "main",
        }
    }
    assert Action.with_options(
        Action.logging("x"),
        throttle_period=timedelta(minutes=15),
        condition=Condition.hits_above(3),
        foreach="ctx.payload.hits.hits",
        max_iterations=50,
    ) == {
        "logging": {"text": "x"},
        "throttle_period": "15m",
        "condition": {"compare": {"ctx.payload.hits.total": {"gt": 3}}},
        "foreach": "ctx.payload.hits.hits",
        "max_iterations": 50,
    }
    with pytest.raises(WatchDefinitionError, match="subject must be a non-empty string"):
        Action.email("ops@example.com", "")
    with pytest.raises(WatchDefinitionError, match="to needs at least one non-empty address"):
        Action.slack([], "hi")


# -- the watch value ---------------------------------------------------------------------------


def test_watch_to_dict_is_the_put_watch_body(registry: Registry) -> None:
    P = fields(registry.mapping_for(Post))
    watch = Watch(
        "busy-regions",
        trigger=Schedule.cron("0 0/5 * * * ?"),
        input=search_input(Post, P.views > 1000, registry=registry, size=0),
        condition=Condition.hits_above(10),
        actions={"log": Action.logging("{{ctx.payload.hits.total}} busy posts")},
        metadata={"team": "growth", "tags": ["a", "b"]},
        transform={"script": "return [count: ctx.payload.hits.total]"},
        throttle_period="1h",
        active=False,
    )
    assert watch.to_dict() == {
        "trigger": {"schedule": {"cron": "0 0/5 * * * ?"}},
        "input": {
            "search": {
                "request": {
                    "indices": ["blog_posts"],
                    "rest_total_hits_as_int": True,
                    "body": {"query": {"range": {"views": {"gt": 1000}}}, "size": 0},
                }
            }
        },
        "condition": {"compare": {"ctx.payload.hits.total": {"gt": 10}}},
        "transform": {"script": "return [count: ctx.payload.hits.total]"},
        "actions": {"log": {"logging": {"text": "{{ctx.payload.hits.total}} busy posts"}}},
        "metadata": {"team": "growth", "tags": ["a", "b"]},
        "throttle_period": "1h",
    }
    assert watch.active is False
    assert list(watch.to_dict()) == [
        "trigger",
        "input",
        "condition",
        "transform",
        "actions",
        "metadata",
        "throttle_period",
    ]


def test_watch_minimal_body_and_fresh_dicts() -> None:
    watch = every_10m()
    body = watch.to_dict()
    assert body == {"trigger": {"schedule": {"interval": "10m"}}, "actions": {}}
    body["trigger"]["schedule"]["interval"] = "1s"
    assert watch.to_dict()["trigger"]["schedule"]["interval"] == "10m"


def test_watch_is_a_frozen_value() -> None:
    parts: dict[str, Any] = {
        "input": simple_input({"x": [1, 2]}),
        "actions": {"log": Action.logging("x")},
    }
    first, second = every_10m(**parts), every_10m(**parts)
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    assert first != every_10m("other", **parts)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        first.actions["log"] = {}  # type: ignore[index]
    mutable = {"x": [1]}
    watch = every_10m(metadata=mutable)
    mutable["x"].append(2)
    assert watch.to_dict()["metadata"] == {"x": [1]}


@pytest.mark.parametrize(
    ("build", "problem"),
    [
        (lambda: every_10m(""), "a watch needs a non-empty name"),
        (lambda: every_10m("two words"), "watch name 'two words' must not contain whitespace"),
        (
            lambda: Watch("w", trigger={"schedule": {"interval": "10 minutes"}}),
            "watch 'w': invalid interval '10 minutes'",
        ),
        (
            lambda: Watch("w", trigger={"schedule": {"cron": "0 12 * * *"}}),
            "watch 'w': cron '0 12 * * *' has 5 fields",
        ),
        (
            lambda: Watch("w", trigger={"interval": "10m"}),  # type: ignore[typeddict-item]
            "the trigger must be {'schedule': {...}}",
        ),
        (
            lambda: Watch("w", trigger={"schedule": {}}),
            "the schedule needs exactly one type of interval, cron",
        ),
        (
            lambda: every_10m(actions={"notify": {"throttle_period": "5m"}}),
            "action 'notify' has no type: give exactly one of email, index, jira, logging",
        ),
        (
            lambda: every_10m(actions={"notify": {"logging": {"text": "x"}, "slack": {}}}),
            "action 'notify' has several types ['logging', 'slack']",
        ),
        (
            lambda: every_10m(actions={"notify": {"sms": {"to": "1"}}}),
            "action 'notify' has unknown keys ['sms']",
        ),
        (
            lambda: every_10m(actions={"": Action.logging("x")}),
            "watch 'w': an action needs a non-empty name",
        ),
        (
            lambda: every_10m(actions={"a": {**Action.logging("x"), "throttle_period": "soon"}}),
            "invalid duration 'soon'",
        ),
        (
            lambda: every_10m(input={"search": {}, "simple": {}}),
            "the input needs exactly one type",
        ),
        (lambda: every_10m(condition={"sometimes": {}}), "the condition needs exactly one type"),
        (lambda: every_10m(throttle_period="1 hour"), "invalid duration '1 hour'"),
        (lambda: every_10m(metadata=["x"]), "metadata must be a dict"),
        (lambda: every_10m(active="yes"), "active must be True or False"),
    ],
)
def test_bad_watches_fail_on_construction(build: Any, problem: str) -> None:
    with pytest.raises(WatchDefinitionError, match=re.escape(problem)):
        build()


def test_definition_errors_are_configuration_errors() -> None:
    assert issubclass(WatchDefinitionError, ConfigurationError)


def test_printing_a_watch_masks_passwords_and_auth_headers() -> None:
    watch = every_10m(
        actions={
            "hook": Action.webhook(
                "https://h.example/x",
                auth=("bot", SECRET),
                headers={"Authorization": f"ApiKey {SECRET}", "X-Trace": "1"},
            ),
            "raw": {
                "webhook": {"host": "h", "auth": {"basic": {"username": "u", "password": SECRET}}}
            },
        }
    )
    for text in (repr(watch), str(watch), json.dumps(watch.redacted())):
        assert SECRET not in text
    assert watch.redacted()["actions"]["hook"]["webhook"]["headers"] == {
        "Authorization": "***",
        "X-Trace": "1",
    }
    assert repr(watch).startswith("Watch('w', {\"trigger\"")
    assert sorted(watch.secrets()) == [f"ApiKey {SECRET}", SECRET, SECRET]
    assert watch.to_dict()["actions"]["raw"]["webhook"]["auth"]["basic"]["password"] == SECRET


# -- delete_matching ---------------------------------------------------------------------------


def test_delete_matching_watch(registry: Registry) -> None:
    P = fields(registry.mapping_for(Post))
    settings = ConnectionSettings(
        hosts=("https://es.example:9243/proxy/",), basic_auth=("cleaner", SECRET)
    )
    watch = delete_matching(Post, P.region == "old", registry=registry, settings=settings)
    assert watch.name == "delete-posts"
    assert watch.active is True
    assert watch.to_dict() == {
        "trigger": {"schedule": {"interval": "1h"}},
        "input": {
            "search": {
                "request": {
                    "indices": ["blog_posts"],
                    "rest_total_hits_as_int": True,
                    "body": {"query": {"term": {"region": "old"}}, "size": 0},
                }
            }
        },
        "condition": {"compare": {"ctx.payload.hits.total": {"gt": 0}}},
        "actions": {
            "delete_matching": {
                "webhook": {
                    "scheme": "https",
                    "host": "es.example",
                    "port": 9243,
                    "path": "/proxy/blog_posts/_delete_by_query",
                    "method": "post",
                    "params": {"conflicts": "proceed"},
                    "headers": {"Content-Type": "application/json"},
                    "body": '{"query":{"term":{"region":"old"}}}',
                    "auth": {"basic": {"username": "cleaner", "password": SECRET}},
                    "read_timeout": "60s",
                }
            }
        },
    }
    body = watch.to_dict()["actions"]["delete_matching"]["webhook"]["body"]
    assert json.loads(body) == {"query": {"term": {"region": "old"}}}
    assert SECRET not in repr(watch) and SECRET not in str(watch)


def test_delete_matching_options(registry: Registry) -> None:
    mapping = registry.mapping_for(Post)
    watch = delete_matching(
        mapping,
        {"range": {"views": {"lt": 1}}},
        settings=ConnectionSettings(hosts=("http://127.0.0.1:9200",)),
        trigger=Schedule.daily("03:00"),
        name="purge",
        url="http://10.0.0.5:9200",
        auth=("purger", SecretStr(SECRET)),
        conflicts="abort",
        max_docs=1000,
        read_timeout="5m",
        metadata={"owner": "ops"},
        active=False,
    )
    body = watch.to_dict()
    assert watch.name == "purge" and watch.active is False
    assert body["trigger"] == {"schedule": {"daily": {"at": ["03:00"]}}}
    assert body["metadata"] == {"owner": "ops"}
    assert body["actions"]["delete_matching"]["webhook"] == {
        "scheme": "http",
        "host": "10.0.0.5",
        "port": 9200,
        "path": "/blog_posts/_delete_by_query",
        "method": "post",
        "params": {"conflicts": "abort", "max_docs": "1000"},
        "headers": {"Content-Type": "application/json"},
        "body": '{"query":{"range":{"views":{"lt":1}}}}',
        "auth": {"basic": {"username": "purger", "password": SECRET}},
        "read_timeout": "5m",
    }


def test_delete_matching_without_security_sends_no_auth(registry: Registry) -> None:
    watch = delete_matching(
        Post,
        match_all(),
        registry=registry,
        settings=ConnectionSettings(hosts=("http://127.0.0.1:9200",)),
        every="15m",
    )
    webhook = watch.to_dict()["actions"]["delete_matching"]["webhook"]
    assert "auth" not in webhook
    assert watch.to_dict()["trigger"] == {"schedule": {"interval": "15m"}}
    assert webhook["body"] == '{"query":{"match_all":{}}}'


def test_delete_matching_refuses_what_cannot_work(registry: Registry) -> None:
    plain = ConnectionSettings(hosts=("http://127.0.0.1:9200",))
    with pytest.raises(WatchDefinitionError) as info:
        delete_matching(
            Post,
            match_all(),
            registry=registry,
            settings=ConnectionSettings(hosts=("https://es:9200",), api_key=SECRET),
        )
    assert "authenticate with an API key" in str(info.value)
    assert "pass auth=(user, password)" in str(info.value)
    assert SECRET not in str(info.value)
    with pytest.raises(WatchDefinitionError, match="pass the query of the documents to delete"):
        delete_matching(Post, None, registry=registry, settings=plain)  # type: ignore[arg-type]
    with pytest.raises(NotRegisteredError):
        delete_matching(Unregistered, match_all(), registry=registry, settings=plain)
    with pytest.raises(WatchDefinitionError, match="invalid interval '10 minutes'"):
        delete_matching(Post, match_all(), registry=registry, settings=plain, every="10 minutes")
    with pytest.raises(WatchDefinitionError, match="max_docs must be a whole number"):
        delete_matching(Post, match_all(), registry=registry, settings=plain, max_docs=0)


def test_webhook_urls_with_credentials_are_refused_even_with_delimiters_in_the_password() -> None:
    with pytest.raises(WatchDefinitionError, match="carries credentials") as caught:
        Action.webhook("http://user:123/456@example.com:9200/path")
    assert "456" not in str(caught.value)


def test_search_input_sorts_by_stored_names_of_a_single_entity() -> None:
    from typing import Annotated

    from esorm.domain import Text

    class Titled(BaseModel):
        id: str
        title: Annotated[str, Text(keyword=True)]

    registry = Registry()
    registry.register(Titled)
    payload = search_input(Titled, None, registry=registry, sort="-title")
    body = payload["search"]["request"]["body"]
    assert body["sort"] == [{"title.keyword": {"order": "desc"}}]
