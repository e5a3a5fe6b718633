"""Every rule fastlint has, in one explicit tuple ordered by code."""

from __future__ import annotations

from fastlint.rule import RuleInfo
from fastlint.rules.async_work.async_route_without_await import AsyncRouteWithoutAwait
from fastlint.rules.async_work.blocking_call_in_async_route import BlockingCallInAsyncRoute
from fastlint.rules.async_work.cpu_heavy_in_route import CpuHeavyInRoute
from fastlint.rules.async_work.heavy_background_task import HeavyBackgroundTask
from fastlint.rules.async_work.long_task_in_request import LongTaskInRequest
from fastlint.rules.concurrency.lost_update_race import LostUpdateRace
from fastlint.rules.meta import InternalError, SyntaxError_, UnusedNoqa
from fastlint.rules.migrations.alembic_multiple_heads import AlembicMultipleHeads
from fastlint.rules.migrations.broken_migration_chain import BrokenMigrationChain
from fastlint.rules.migrations.ddl_at_runtime import DdlAtRuntime
from fastlint.rules.migrations.empty_downgrade import EmptyDowngrade
from fastlint.rules.migrations.non_concurrent_index import NonConcurrentIndex
from fastlint.rules.security.cors_wildcard_credentials import CorsWildcardCredentials
from fastlint.rules.security.debug_in_production import DebugInProduction
from fastlint.rules.security.hardcoded_secret import HardcodedSecret
from fastlint.rules.security.jwt_decode_unverified import JwtDecodeUnverified
from fastlint.rules.security.long_lived_access_token import LongLivedAccessToken
from fastlint.rules.security.password_in_jwt import PasswordInJwt
from fastlint.rules.security.plaintext_password import PlaintextPassword
from fastlint.rules.security.unvalidated_input import UnvalidatedInput
from fastlint.rules.sessions.create_all_at_runtime import CreateAllAtRuntime
from fastlint.rules.sessions.engine_per_call import EnginePerCall
from fastlint.rules.sessions.global_db_session import GlobalDbSession
from fastlint.rules.sessions.manual_session_in_route import ManualSessionInRoute
from fastlint.rules.sessions.request_session_in_background_task import RequestSessionInBackgroundTask
from fastlint.rules.sessions.session_dependency_without_finally import SessionDependencyWithoutFinally
from fastlint.rules.sql.cartesian_join import CartesianJoin
from fastlint.rules.sql.count_via_len import CountViaLen
from fastlint.rules.sql.n_plus_one import NPlusOne
from fastlint.rules.sql.offset_pagination import OffsetPagination
from fastlint.rules.sql.python_operator_in_filter import PythonOperatorInFilter
from fastlint.rules.sql.select_star import SelectStar
from fastlint.rules.sql.sql_string_building import SqlStringBuilding
from fastlint.rules.sql.unbounded_page_size import UnboundedPageSize
from fastlint.rules.sql.unbounded_query import UnboundedQuery
from fastlint.rules.sql.unindexed_filter_column import UnindexedFilterColumn

ALL_RULES: tuple[type[RuleInfo], ...] = (
    SyntaxError_,
    UnusedNoqa,
    InternalError,
    GlobalDbSession,
    ManualSessionInRoute,
    SessionDependencyWithoutFinally,
    EnginePerCall,
    RequestSessionInBackgroundTask,
    CreateAllAtRuntime,
    SelectStar,
    OffsetPagination,
    SqlStringBuilding,
    UnboundedQuery,
    UnboundedPageSize,
    NPlusOne,
    UnindexedFilterColumn,
    CartesianJoin,
    PythonOperatorInFilter,
    CountViaLen,
    BlockingCallInAsyncRoute,
    AsyncRouteWithoutAwait,
    CpuHeavyInRoute,
    LongTaskInRequest,
    HeavyBackgroundTask,
    PasswordInJwt,
    LongLivedAccessToken,
    JwtDecodeUnverified,
    HardcodedSecret,
    CorsWildcardCredentials,
    DebugInProduction,
    UnvalidatedInput,
    PlaintextPassword,
    LostUpdateRace,
    AlembicMultipleHeads,
    EmptyDowngrade,
    BrokenMigrationChain,
    NonConcurrentIndex,
    DdlAtRuntime,
)
