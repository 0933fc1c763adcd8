"""Helpers several esorm packages share; standard library and pydantic only, no esorm imports."""
