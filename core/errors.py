"""The one exception type a user ever sees.

Anything the user can fix (a bad file, a missing column, a single class, no
internet for a Hub id) raises `DataError` with one plain sentence that says what
is wrong and what to do. The CLI prints it as `error: ...` and exits 2; the app
shows it in `st.error`, in the reader's language. Every other exception is a bug.

The sentence is a template with named fields, never an f-string, so the app can look
it up in the catalogue (core.i18n): `DataError("The file '{name}' is empty.", name=name)`.
"""
from __future__ import annotations

from core.i18n import translator


class DataError(ValueError):
    """A problem with the user's input, explained in one plain sentence."""

    def __init__(self, message: str = "", **fields):
        self.message, self.fields = message, fields
        super().__init__(message.format(**fields) if fields else message)

    def translated(self, lang: str) -> str:
        """The sentence in `lang` (English when the catalogue lacks it)."""
        return translator(lang)(self.message, **self.fields) if self.message else str(self)

