"""Elasticsearch Watcher: watch definitions as frozen values, and a manager that stores them."""

from esorm.watchers import dsl
from esorm.watchers._actions import Action
from esorm.watchers._conditions import Condition
from esorm.watchers._delete import delete_matching
from esorm.watchers._errors import WatchDefinitionError, WatcherUnavailableError, WatchNotFoundError
from esorm.watchers._inputs import chain_input, search_input, simple_input
from esorm.watchers._manager import WatcherManager
from esorm.watchers._results import StoredWatch, WatchChange, WatchExecution, WatchReport
from esorm.watchers._schedule import Schedule
from esorm.watchers._watch import Watch

__all__ = [
    "Action",
    "Condition",
    "Schedule",
    "StoredWatch",
    "Watch",
    "WatchChange",
    "WatchDefinitionError",
    "WatchExecution",
    "WatchNotFoundError",
    "WatchReport",
    "WatcherManager",
    "WatcherUnavailableError",
    "chain_input",
    "delete_matching",
    "dsl",
    "search_input",
    "simple_input",
]
