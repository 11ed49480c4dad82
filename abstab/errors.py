"""Exceptions whose message is shown to the user as is: each says what is wrong and how to fix it."""


class AbstabError(Exception):
    """Base of every error abstab reports to the user (exit code 2 at the CLI)."""


class ConfigError(AbstabError):
    """A bad flag, pipeline file or setting."""


class UnknownNameError(ConfigError):
    """A registry lookup for a name that is not registered."""


class InputError(AbstabError):
    """One input item (a PDF, a record) cannot be used; the run goes on without it."""

    def __init__(self, message: str, *, reason: str = "bad_input", path: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.path = path


class RecordError(AbstabError):
    """A record failed validation at a stage boundary."""


class MissingDependencyError(AbstabError):
    """An optional dependency is needed for this feature."""

    def __init__(self, package: str, extra: str, feature: str):
        super().__init__(
            f"{feature} needs the '{package}' package: pip install 'abstab[{extra}]'"
        )


class WorkspaceError(AbstabError):
    """A workspace state file (done.json, stats.json, .journal, a records file) is unusable."""
