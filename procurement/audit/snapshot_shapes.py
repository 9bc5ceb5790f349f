"""How a snapshot's values are typed and encoded: a value's ``Shape`` (JSON naming its type),
and its encoding and decoding in C (msgspec, or pydantic-core for the pydantic value objects).
Part of the snapshots' fingerprint (``snapshots._sources``): a change here changes the key."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache, partial
from types import UnionType
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin
from uuid import UUID

import msgspec
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import AwareDatetime, BaseModel, NaiveDatetime, TypeAdapter

from domain.text import STORED

Shape = list[Any]
"""How a value is typed, as JSON: ``["uuid"]``, ``["dict", ["uuid"], ["type", topic]]``..."""


_SCALARS: dict[type, str] = {
    type(None): "none",
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    UUID: "uuid",
    datetime: "datetime",
    date: "date",
    Decimal: "decimal",
}
_SCALAR_TYPES: dict[str, Any] = {name: kind for kind, name in _SCALARS.items()} | {"any": Any}
_IMMUTABLE = frozenset(_SCALARS.values()) | {"enum"}
_KEYS = frozenset({"any", "str", "int", "uuid", "date", "datetime", "decimal", "enum"})
_SEQUENCES: dict[str, Callable[[Any], Any]] = {
    "list": lambda item: list[item],  # type: ignore[valid-type]
    "tuple": lambda item: tuple[item, ...],  # type: ignore[valid-type]
    "set": lambda item: set[item],  # type: ignore[valid-type]
    "frozenset": lambda item: frozenset[item],  # type: ignore[valid-type]
}


def shape_of(value: Any) -> Shape | None:
    """The value's shape, or None if it has none this encoding can decode exactly (a mixed
    list, an unregistered object): such a value goes through the event transcoder."""
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return [scalar]
    if isinstance(value, Enum):
        return ["enum", get_topic(kind)]
    if isinstance(value, BaseModel | msgspec.Struct):
        return ["type", get_topic(kind)]
    return _container_shape(value)


def _container_shape(value: Any) -> Shape | None:
    kind = type(value)
    if kind in {list, tuple, set, frozenset}:
        item = _common_shape(value)
        return None if item is None else [kind.__name__, item]
    if kind is dict:
        key, item = _common_shape(value.keys()), _common_shape(value.values())
        if key is None or item is None:
            return None
        # JSON's keys are strings: a dictionary keyed by anything else is a list of pairs.
        return ["dict" if key[0] in _KEYS else "pairs", key, item]
    return None


def _common_shape(values: Iterable[Any]) -> Shape | None:
    kinds = {type(value) for value in values}
    if not kinds:
        return ["any"]
    if len(kinds) > 1:
        return None
    if kinds.pop() in {list, tuple, set, frozenset, dict}:  # containers: their items decide
        shapes = {msgspec.json.encode(shape_of(value)) for value in values}
        return None if len(shapes) != 1 else msgspec.json.decode(shapes.pop())
    return shape_of(next(iter(values)))


def _immutable(shape: Shape) -> bool:
    """Whether a value of this shape can never change in place: a patch compares a
    dictionary's entries by identity, and would miss such a change."""
    if shape[0] in _IMMUTABLE:
        return True
    if shape[0] == "type":
        return _frozen_type(resolve_topic(shape[1]))
    return shape[0] in {"tuple", "frozenset"} and _immutable(shape[1])


@cache
def _frozen_type(kind: Any) -> bool:
    """A type whose values are immutable all the way down: scalars, enums, and frozen models
    or structs (and tuples, frozensets, unions and literals) of such types only."""
    origin = get_origin(kind)
    if origin is not None:
        return _frozen_generic(origin, get_args(kind))
    if not isinstance(kind, type):
        return False
    if kind in _SCALARS or kind in _PYDANTIC_SCALARS or issubclass(kind, Enum):
        return True
    if issubclass(kind, msgspec.Struct):
        return bool(kind.__struct_config__.frozen) and all(
            _frozen_type(field.type) for field in msgspec.structs.fields(kind)
        )
    if issubclass(kind, BaseModel):
        return bool(kind.model_config.get("frozen")) and all(
            _frozen_type(cast("Any", field.annotation)) for field in kind.model_fields.values()
        )
    return False


def _frozen_generic(origin: Any, args: tuple[Any, ...]) -> bool:
    if origin is Annotated:
        return bool(_frozen_type(args[0]))
    if origin is Literal:
        return True
    if origin in {Union, UnionType, tuple, frozenset}:
        return all(arg is Ellipsis or _frozen_type(arg) for arg in args)
    return False


_PYDANTIC_SCALARS = frozenset({AwareDatetime, NaiveDatetime})
"""Annotations pydantic reads as a plain datetime."""


def _type_of(shape: Shape) -> tuple[Any, bool]:
    """The type a shape names, and whether pydantic must decode it (a model inside)."""
    name = shape[0]
    if name in _SCALAR_TYPES:
        return _SCALAR_TYPES[name], False
    if name in {"enum", "type"}:
        kind = resolve_topic(shape[1])
        return kind, issubclass(kind, BaseModel)
    if name in _SEQUENCES:
        item, pydantic = _type_of(shape[1])
        return _SEQUENCES[name](item), pydantic
    key, key_pydantic = _type_of(shape[1])
    item, item_pydantic = _type_of(shape[2])
    pydantic = key_pydantic or item_pydantic
    if name == "pairs":
        return list[tuple[key, item]], pydantic  # type: ignore[valid-type]
    return dict[key, item], pydantic  # type: ignore[valid-type]


@cache
def _decoder(shape_json: bytes) -> Callable[[bytes], Any]:
    kind, pydantic = _type_of(msgspec.json.decode(shape_json))
    if pydantic:  # what was stored is not checked against today's text rule again
        return partial(TypeAdapter(kind).validate_json, context=STORED)
    return cast("Callable[[bytes], Any]", msgspec.json.Decoder(kind).decode)


def _decode(shape: Shape, data: msgspec.Raw | bytes, transcoder: Transcoder) -> Any:
    if shape == ["transcoded"]:
        return transcoder.decode(bytes(data))
    value = _decoder(msgspec.json.encode(shape))(bytes(data))
    return dict(value) if shape[0] == "pairs" else value


def _model_builtins(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    msg = f"no snapshot encoding for {type(value).__name__}"
    raise TypeError(msg)


_encoder = msgspec.json.Encoder(enc_hook=_model_builtins, decimal_format="string")


def _encode(value: Any, transcoder: Transcoder) -> tuple[Shape, bytes]:
    shape = shape_of(value)
    if shape is None:
        return ["transcoded"], transcoder.encode(value)
    return shape, _encode_as(shape, value)


def _encode_as(shape: Shape, value: Any) -> bytes:
    if shape[0] in {"set", "frozenset"}:
        # In order, so that two processes encode the same set alike (strings hash apart).
        return _encoder.encode(sorted(value))
    if shape[0] == "pairs":
        return _encoder.encode(list(value.items()))
    return _encoder.encode(value)
