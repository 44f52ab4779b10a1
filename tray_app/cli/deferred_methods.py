"""CLI start-up: a dataclass's generated methods besides `__init__` compile on first call.

Python 3.11/3.12 write each method a dataclass adds (`__repr__`, `__eq__`, `__hash__`, the
order methods, a frozen class's `__setattr__`/`__delattr__`) as source text and compile it
while the class is made: ~0.1 ms a method, five of the six of a frozen class. A report
loads ~30 dataclasses and calls few of those methods, so this was 15-20 ms of every
command. Inside `deferred()`, each of them is a small function that compiles the very same
text on its first call and then runs it: same code, same results, paid only when used.
`__init__` stays eager (its signature is read at class creation, e.g. for `__doc__`).

Only the CLI launcher uses it, around one command. On a Python whose `dataclasses` has no
`_create_fn` of the known shape (3.13 builds the methods another way), it does nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from collections.abc import Callable, Iterator
from typing import Any

# dataclasses._create_fn(name, args, body, *, globals=None, locals=None, return_type=MISSING)
_SHAPE = ("name", "args", "body", "globals", "locals", "return_type")
_EAGER = frozenset({"__init__"})


def _known(create: Any) -> bool:
    """Whether `create` is the private method builder this module knows how to wrap."""
    try:
        params = inspect.signature(create).parameters.values()
    except (TypeError, ValueError):
        return False
    keyword_only = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    return tuple(p.name for p in params) == _SHAPE and keyword_only == list(_SHAPE[3:])


def _deferring(create: Callable[..., Any]) -> Callable[..., Any]:
    def create_fn(name: str, args: Any, body: Any, **kwargs: Any) -> Any:
        if name in _EAGER:
            return create(name, args, body, **kwargs)
        compiled: Callable[..., Any] | None = None

        def method(*a: Any, **k: Any) -> Any:
            nonlocal compiled
            if compiled is None:
                compiled = create(name, args, body, **kwargs)
            return compiled(*a, **k)

        method.__name__ = name  # (dataclasses sets __qualname__ itself)
        return method

    return create_fn


@contextlib.contextmanager
def deferred() -> Iterator[bool]:
    """Dataclasses made inside compile their methods (but `__init__`) on first use.

    Yields whether that is in effect. Classes keep the deferred methods after the block.
    """
    create = getattr(dataclasses, "_create_fn", None)
    if create is None or not _known(create):
        yield False
        return
    setattr(dataclasses, "_create_fn", _deferring(create))  # noqa: B010 (private name)
    try:
        yield True
    finally:
        setattr(dataclasses, "_create_fn", create)  # noqa: B010
