"""Elasticsearch Watcher: watch definitions as frozen values, a manager that stores them,
and a local runner that executes the same watches where Watcher is missing."""

from esorm.watchers import dsl
from esorm.watchers._actions import Action
from esorm.watchers._backend import BackendChoice, Mode, WatchBackend
from esorm.watchers._clock import Clock, Sleep
from esorm.watchers._conditions import Condition
from esorm.watchers._delete import delete_matching
from esorm.watchers._errors import (
    NotRunnableLocallyError,
    WatchBusyError,
    WatchDefinitionError,
    WatcherUnavailableError,
    WatchNotFoundError,
)
from esorm.watchers._history import ActionRecord, WatchHistory, WatchRecord
from esorm.watchers._inputs import chain_input, search_input, simple_input
from esorm.watchers._lifespan import running_watches, watchers_lifespan
from esorm.watchers._manager import WatcherManager
from esorm.watchers._results import StoredWatch, WatchChange, WatchExecution, WatchReport
from esorm.watchers._runner import WatchRunner
from esorm.watchers._schedule import Schedule
from esorm.watchers._serve import serve
from esorm.watchers._service import WatchService
from esorm.watchers._status import ActionStatus, WatchState
from esorm.watchers._watch import Watch

__all__ = [
    "Action",
    "ActionRecord",
    "ActionStatus",
    "BackendChoice",
    "Clock",
    "Condition",
    "Mode",
    "NotRunnableLocallyError",
    "Schedule",
    "Sleep",
    "StoredWatch",
    "Watch",
    "WatchBackend",
    "WatchBusyError",
    "WatchChange",
    "WatchDefinitionError",
    "WatchExecution",
    "WatchHistory",
    "WatchNotFoundError",
    "WatchRecord",
    "WatchReport",
    "WatchRunner",
    "WatchService",
    "WatchState",
    "WatcherManager",
    "WatcherUnavailableError",
    "chain_input",
    "delete_matching",
    "dsl",
    "running_watches",
    "search_input",
    "serve",
    "simple_input",
    "watchers_lifespan",
]
