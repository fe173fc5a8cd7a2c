"""The sandbox every template runs in: built-in or an institution's override, HTML report or message draft.

A ``--templates`` folder is code from outside sheetkit, so templates run in
Jinja2's immutable sandbox (no ``__globals__``, no changing the data passed
in), with ``range`` and repetition bounded so a template cannot hang the run
or fill the memory. Any error a template causes is one
:class:`~sheetkit.errors.TemplateError` naming the file and line::

    templates/report.html, line 12: 'studnt' is undefined; fix the template
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from sheetkit.errors import SheetkitError, TemplateError, printable

#: The most numbers ``range()`` gives a template.
MAX_RANGE = 10_000
#: The longest text or list ``*`` may build in a template, and the largest power ``**`` may take.
MAX_REPEAT = 1_000_000
MAX_EXPONENT = 1_000


def safe_range(*args: int) -> range:
    """``range`` for templates: at most :data:`MAX_RANGE` numbers.

    >>> len(safe_range(3, 10))
    7
    """
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range() of {len(numbers):,} numbers; templates may ask for at most {MAX_RANGE:,}")
    return numbers


class SafeLoader(jinja2.FileSystemLoader):
    """Jinja2's file loader, with a template that is not UTF-8 text reported by its path."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            path = next((candidate for folder in self.searchpath
                         if (candidate := Path(folder, *split_template_path(template))).is_file()), template)
            raise TemplateError(printable(f"{path}: not UTF-8 text (byte {exc.start + 1} is not); "
                                          "save the template as UTF-8")) from None


class CompiledTemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's on-disk cache of compiled templates, as a convenience only: a full disk or an
    unreadable cache file means compiling afresh, never a failed report."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError):  # unreadable, or a truncated file
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


class SafeEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with a bounded ``range``, ``*`` and ``**``, and one-line errors."""

    intercepted_binops = frozenset({"*", "**"})
    #: What a template's error is raised as (drafts raise their own subclass of SheetkitError).
    error: type[SheetkitError] = TemplateError

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = safe_range

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"a power of {right:,}; templates may use powers up to {MAX_EXPONENT:,}")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) \
                        and len(sequence) * count > MAX_REPEAT:
                    raise SecurityError(f"repeating {len(sequence):,} items {count:,} times; "
                                        f"templates may build at most {MAX_REPEAT:,}")
        return super().call_binop(context, operator, left, right)

    def handle_exception(self, source: str | None = None) -> NoReturn:
        """Called by Jinja2 for any error while compiling or rendering a template.

        The template's own errors (syntax, undefined names, the sandbox's
        refusals, and anything raised by the template's code itself, such as a
        division by zero) become :attr:`error`; an error inside
        sheetkit's Python code is a bug and goes on as it is.
        """
        from jinja2.debug import rewrite_traceback_stack

        error = rewrite_traceback_stack(source=source)
        if isinstance(error, jinja2.TemplateSyntaxError):
            where = f"{error.filename or error.name}, line {error.lineno}"
        else:
            frames = [(frame.f_code.co_filename, line) for frame, line in traceback.walk_tb(error.__traceback__)]
            in_template = [(name, line) for name, line in frames if _is_template(name)]
            if not in_template or (not isinstance(error, jinja2.TemplateError) and not _is_template(frames[-1][0])):
                raise error
            where = "{}, line {}".format(*in_template[-1])
        message = (error.message or "") if isinstance(error, jinja2.TemplateError) else f"{type(error).__name__}: {error}"
        raise self.error(printable(f"{where}: {message.rstrip('.')}; fix the template")) from None


def _is_template(filename: str) -> bool:
    """True for a frame of a template's compiled code (Jinja2 names it after the template file)."""
    return not filename.endswith(".py") and not filename.startswith("<frozen")

