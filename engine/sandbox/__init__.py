"""Where every expression and script of a diagram runs: RestrictedPython, time and memory limits, and a few helpers.

SpiffWorkflow's default script engine is plain eval/exec with full builtins, so an uploaded diagram could run any
code on the server. `SCRIPT_ENGINE` replaces it; `engine.runtime` assigns it after every restore, because the
script engine is not part of the serialized state.
"""
from .compiler import ScriptCompileError, compile_errors
from .environment import (RestrictedEnvironment, ScriptLimitExceeded, ScriptMemoryExceeded, ScriptTimeout,
                          build_script_engine)

__all__ = ["ScriptCompileError", "compile_errors", "RestrictedEnvironment", "ScriptLimitExceeded",
           "ScriptMemoryExceeded", "ScriptTimeout", "build_script_engine"]
