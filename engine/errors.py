"""Named exceptions of the engine. Each carries a message people can read; callers decide how to show it.

Messages go through Flask-Babel so that the web UI shows them in the user's language; the CLI prints the same text.
"""
from flask_babel import lazy_gettext as _l


class EngineError(Exception):
    """Base of every error the engine reports on purpose. Nothing was changed when one is raised."""

    def __init__(self, message, **params):
        self.params = params
        self._message = message
        super().__init__(message)

    @property
    def message(self) -> str:
        text = str(self._message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message

    def problems(self) -> list[str]:
        """One line per problem, for the CLI and the API."""
        return [self.message]


class NotFound(EngineError):
    pass


class TooManyAttempts(EngineError):
    """Sign-in refused for a while after repeated wrong passwords."""


class PermissionDenied(EngineError):
    pass


class TaskNotReady(EngineError):
    """The task was completed already, cancelled, or is not a human task waiting for input."""


class ConflictError(EngineError):
    """Someone else changed the instance at the same moment; reload and try again."""


class InvalidState(EngineError):
    """The instance cannot take this action in its current status (suspended, cancelled, in error...)."""


class NothingWaiting(EngineError):
    """A message or signal found no instance waiting for it and no process it could start."""


class InvalidDefinition(EngineError):
    """A deployment was refused. `problems()` gives each problem's text (file, element, line: message); `found`
    the located problems themselves (engine.bpmn.problems.Problem) where the refusal came from a BPMN check, for
    the modeller's markers; a refusal of another source (the plan's catalogue) gives texts only."""

    def __init__(self, errors: list):
        self.found = [e for e in errors if not isinstance(e, str) and hasattr(e, "as_dict")]
        self.errors = [str(e) for e in errors]
        super().__init__(_l("The BPMN was refused: %(details)s"), details="; ".join(self.errors))

    def problems(self) -> list[str]:
        return list(self.errors)


class InvalidData(EngineError):
    """Submitted data failed its form's rules; `field_errors` maps each field to its messages."""

    def __init__(self, field_errors: dict[str, list[str]]):
        self.field_errors = field_errors
        details = "; ".join(f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in field_errors.items())
        super().__init__(_l("The data is not valid: %(details)s"), details=details)

    def problems(self) -> list[str]:
        return [f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in self.field_errors.items()]


class ProcessError(EngineError):
    """The diagram failed while running (a script error, a time limit, a runaway loop).

    The instance keeps its last good state, is marked `error` with this message, and can be retried.
    """

    def __init__(self, message, instance_id=None, element: str | None = None, **params):
        self.instance_id = instance_id
        self.element = element  # the bpmn id of the element it stopped at, where known (incidents group by it)
        super().__init__(message, **params)


class IncompatibleState(ProcessError):
    """The stored state was written by a newer SpiffWorkflow than the one running; loading it would lose data.
    A step meeting it marks the instance `error` with this message and leaves the state as it is, for a retry
    once the library has been brought up to date."""
