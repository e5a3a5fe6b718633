"""Every rule fastlint has, in one explicit tuple ordered by code."""

from __future__ import annotations

from fastlint.rule import RuleInfo
from fastlint.rules.meta import InternalError, SyntaxError_
from fastlint.rules.sessions.create_all_at_runtime import CreateAllAtRuntime
from fastlint.rules.sessions.engine_per_call import EnginePerCall
from fastlint.rules.sessions.global_db_session import GlobalDbSession
from fastlint.rules.sessions.manual_session_in_route import ManualSessionInRoute
from fastlint.rules.sessions.request_session_in_background_task import RequestSessionInBackgroundTask
from fastlint.rules.sessions.session_dependency_without_finally import SessionDependencyWithoutFinally

ALL_RULES: tuple[type[RuleInfo], ...] = (
    SyntaxError_,
    InternalError,
    GlobalDbSession,
    ManualSessionInRoute,
    SessionDependencyWithoutFinally,
    EnginePerCall,
    RequestSessionInBackgroundTask,
    CreateAllAtRuntime,
)
