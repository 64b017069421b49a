"""The exception types for failures a user can fix, each carrying its one-line message."""


class LlmEvalError(Exception):
    """A user error: bad option, suite or data. Its message is one line naming the value and the fix."""


class MissingData(LlmEvalError):
    """A declared dataset's folder is absent: an error only if one of its subjects is selected to run."""


class MissingFiles(LlmEvalError):
    """A dataset's folder is there but some files it needs are not (a partial copy of the data)."""


class ServerError(Exception):
    """An inference server failed a request after every retry, or lacks a feature the run needs (one line)."""


class SubjectFailure(LlmEvalError):
    """One subject cannot run as asked (a prompt a server cannot cut); the rest of the run goes on. Its item
    shows the line after the subject's name, since the message itself cannot know which subject it is."""
