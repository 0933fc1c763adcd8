"""Lazy values an entity declares for related data; a repository loads them, reading never does.

Example:
    class Post(BaseModel):
        author_id: str
        author: One[User] = One()

    post.author.get()   # the User (or None when it does not exist), once loaded

A relation that was never loaded is left out of `model_dump()` and JSON output; a loaded
one is its data (`null` for a missing target, `[]` for none), so a response tells "not
asked for" from "there is none". `One[User]` carries that rule to pydantic itself (an
`exclude_if` on the field), so plain models need nothing more.
"""

from __future__ import annotations

import copy
import enum
import reprlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, TypeVar, get_args

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import core_schema

T = TypeVar("T")
"""The related entity type."""


class _Unset(enum.Enum):
    UNSET = "unset"


_UNSET = _Unset.UNSET


class Related(Generic[T]):
    """Base of the lazy relation values: loaded or not, immutable, never doing I/O.

    Not stored with the entity and not change-tracked; dumped as the related data when
    loaded, and left out of dumps while not loaded.
    """

    __slots__ = ("_name", "_owner", "_value")
    _kind: ClassVar[str] = "relation"
    not_loaded_error: ClassVar[type[Exception]] = LookupError
    """Raised on reading an unloaded value; esorm sets its `RelationNotLoadedError` here,
    so the domain raises esorm's error without importing anything but pydantic."""

    _value: Any

    def __init__(self, value: Any = _UNSET) -> None:
        self._value = value

    def __set_name__(self, owner: type, name: str) -> None:
        # the class-level default learns where it lives, for the not-loaded message
        self._owner = owner.__name__
        self._name = name

    @property
    def loaded(self) -> bool:
        """True once a repository has loaded this relation."""
        return self._value is not _UNSET

    @staticmethod
    def unloaded(value: object) -> bool:
        """Whether a field's value is a relation never loaded: the `exclude_if` of relation
        fields, which leaves them out of dumps."""
        return isinstance(value, Related) and value._value is _UNSET

    def _not_loaded(self) -> Exception:
        owner = getattr(self, "_owner", None)
        name = getattr(self, "_name", None)
        if owner is None or name is None:
            return self.not_loaded_error(
                f"this {self._kind} relation was not loaded; pass load=['<relation>'] to "
                f"get/get_many/search/iterate, or call `await repo.load(entities, '<relation>')`"
            )
        repo = f"uow.repository({owner})"
        return self.not_loaded_error(
            f"{owner}.{name} was not loaded; ask for it when loading "
            f"(`await {repo}.get(id, load=[{name!r}])`, also on get_many/search/iterate) "
            f"or load it afterwards for many at once (`await {repo}.load(entities, {name!r})`)"
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self._value, other._value
        return mine is theirs or bool(mine == theirs)

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Related[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Related[T]:
        if self._value is _UNSET:
            return self  # immutable, so a shared default stays shared
        clone = object.__new__(type(self))
        memo[id(self)] = clone  # cycles through the related graph come back to this clone
        clone._value = copy.deepcopy(self._value, memo)
        return clone

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = "<not loaded>" if self._value is _UNSET else repr(self._value)
        return f"{type(self).__name__}({shown})"

    if not TYPE_CHECKING:

        def __class_getitem__(cls, params: Any) -> Any:
            # `One[User]` on a model field: also leave the field out of dumps while unloaded
            alias = super().__class_getitem__(params)
            if cls is Related or getattr(alias, "__parameters__", ()):
                return alias  # a base class or a generic alias: no field to mark yet
            return Annotated[alias, Field(exclude_if=Related.unloaded)]

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        args = get_args(source)
        item = handler.generate_schema(args[0] if args else Any)
        return core_schema.no_info_wrap_validator_function(
            cls._validator(),
            core_schema.nullable_schema(cls._data_schema(item)),
            serialization=core_schema.wrap_serializer_function_ser_schema(
                _dump, schema=core_schema.nullable_schema(cls._dump_schema(item))
            ),
        )

    @classmethod
    def _data_schema(cls, item: core_schema.CoreSchema) -> core_schema.CoreSchema:
        raise NotImplementedError

    @classmethod
    def _dump_schema(cls, item: core_schema.CoreSchema) -> core_schema.CoreSchema:
        return cls._data_schema(item)

    @classmethod
    def _validator(cls) -> Callable[[Any, core_schema.ValidatorFunctionWrapHandler], Any]:
        def validate(value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
            if isinstance(value, cls):
                return value
            data = handler(value)
            return cls() if data is None else cls(data)

        return validate


class One(Related[T]):
    """A to-one relation: the related entity, or None when it does not exist, once loaded.

    `One()` is not loaded; `One(value)` is loaded with `value` (None included).
    """

    __slots__ = ()
    _kind = "to-one"

    def __init__(self, value: T | _Unset | None = _UNSET) -> None:
        self._value = value

    def get(self) -> T | None:
        """The related entity (None when the target does not exist).

        Raises:
            RelationNotLoadedError: the relation was not loaded; the message says how to.
        """
        if self._value is _UNSET:
            raise self._not_loaded()
        value: T | None = self._value
        return value

    @property
    def value(self) -> T | None:
        """The related entity, as `get()`."""
        return self.get()

    @classmethod
    def _data_schema(cls, item: core_schema.CoreSchema) -> core_schema.CoreSchema:
        return item


class Many(Related[T]):
    """A to-many relation: the related entities (possibly none), once loaded.

    `Many()` is not loaded; `Many(values)` is loaded with `values`.
    """

    __slots__ = ()
    _kind = "to-many"

    def __init__(self, values: Iterable[T] | _Unset = _UNSET) -> None:
        self._value = values if isinstance(values, _Unset) else list(values)

    def get(self) -> list[T]:
        """The related entities, in the order the relation sorts them.

        Raises:
            RelationNotLoadedError: the relation was not loaded; the message says how to.
        """
        if self._value is _UNSET:
            raise self._not_loaded()
        values: list[T] = self._value
        return values

    @property
    def value(self) -> list[T]:
        """The related entities, as `get()`."""
        return self.get()

    def __iter__(self) -> Iterator[T]:
        return iter(self.get())

    @classmethod
    def _data_schema(cls, item: core_schema.CoreSchema) -> core_schema.CoreSchema:
        return core_schema.list_schema(item)

    @classmethod
    def _dump_schema(cls, item: core_schema.CoreSchema) -> core_schema.CoreSchema:
        # each item on its own: an item that repeats an entity being dumped reads as null,
        # the rest of the list is kept
        return core_schema.list_schema(
            core_schema.any_schema(
                serialization=core_schema.wrap_serializer_function_ser_schema(
                    _dump_item, schema=item
                )
            )
        )


def _dump(value: Related[Any], handler: core_schema.SerializerFunctionWrapHandler) -> Any:
    if value._value is _UNSET:
        return None
    return _dump_item(value._value, handler)


def _dump_item(value: Any, handler: core_schema.SerializerFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValueError as exc:  # pydantic's recursion guard: loaded relations may form cycles
        if "Circular reference" not in str(exc):
            raise
        return None  # where an entity repeats inside its own dump, it reads as null
