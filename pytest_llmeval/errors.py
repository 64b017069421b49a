"""The one exception type for mistakes a user can fix."""


class LlmEvalError(Exception):
    """A user error: bad option, suite or data. Its message is one line naming the value and the fix."""
