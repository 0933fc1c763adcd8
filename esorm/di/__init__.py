"""Dependency-injector wiring: a Singleton registry, an async client Resource, a UoW Factory."""

from esorm.di._container import EsormContainer, client_lifecycle

__all__ = ["EsormContainer", "client_lifecycle"]
