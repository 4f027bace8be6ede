"""The one exception type a user ever sees.

Anything the user can fix (a bad file, a missing column, a single class, no
internet for a Hub id) raises `DataError` with one plain sentence that says what
is wrong and what to do. The CLI prints it as `error: ...` and exits 2; the app
shows it in `st.error`. Every other exception is a bug.
"""


class DataError(ValueError):
    """A problem with the user's input, explained in one plain sentence."""
