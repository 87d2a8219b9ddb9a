"""One error type per kind of failure."""

from __future__ import annotations


class SaccrError(Exception):
    """Base class of every error the engine raises."""


class ParameterError(SaccrError):
    """A supervisory parameter file is missing a value or holds a malformed one."""


class InputError(SaccrError):
    """An input frame cannot be used at all (missing column, wrong as-of date); row-level
    problems are not raised but returned as rejected rows naming trade, field and rule."""


class OptionError(SaccrError):
    """A calculation option the regime does not allow (e.g. the IR no-offset formula under the CRR), or a
    method a legal entity may not use (CRR Art. 273a thresholds)."""
