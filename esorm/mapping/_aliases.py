"""Stored field names: the names `model_dump(by_alias=True)` writes and validation reads back."""

from __future__ import annotations

from pydantic import AliasChoices, AliasPath, BaseModel
from pydantic.fields import FieldInfo

from esorm._internal.types import stored_name
from esorm.errors import MappingError


def check_readable(model: type[BaseModel], name: str, info: FieldInfo, where: str) -> None:
    """Refuse a field whose stored name validation would not accept, so reads cannot fail."""
    stored = stored_name(name, info)
    if stored not in _accepted_names(model, name, info):
        raise MappingError(
            f"{where}: stored as {stored!r} (its serialization alias) but validation does "
            f"not accept {stored!r}, so documents could not be read back; use alias= "
            f"instead, or include {stored!r} in validation_alias"
        )


def _accepted_names(model: type[BaseModel], name: str, info: FieldInfo) -> set[str]:
    config = model.model_config
    by_alias = config.get("validate_by_alias", True)
    by_name = config.get("validate_by_name", False) or config.get("populate_by_name", False)
    accepted: set[str] = set()
    alias = info.validation_alias if info.validation_alias is not None else info.alias
    if alias is None or by_name:
        accepted.add(name)
    if by_alias and alias is not None:
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        for choice in choices:
            if isinstance(choice, str):
                accepted.add(choice)
            elif isinstance(choice, AliasPath) and len(choice.path) == 1:
                accepted.add(str(choice.path[0]))
    return accepted
