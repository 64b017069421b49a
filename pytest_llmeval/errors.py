"""The one exception type for mistakes a user can fix."""


class LlmEvalError(Exception):
    """A user error: bad option, suite or data. Its message is one line naming the value and the fix."""


class MissingData(LlmEvalError):
    """A declared dataset's folder is absent: an error only if one of its subjects is selected to run."""
