"""The project index: every file's facts merged, and the questions rules ask of them.

The same class serves two moments:
- right after a file's walk, a *partial* index holds that file's facts only; a question whose answer
  depends on another project module is answered ``None`` (not known yet);
- after every file is done, the *full* index holds all facts; what it cannot find is not there.

Kinds (see `known`) are evaluated from value descriptors (see `model`) by following qualified names
through module symbols, re-exports, classes and function returns, with memoisation and a guard
against cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastlint.analysis import known, work
from fastlint.analysis.groups import DisjointSets
from fastlint.analysis.model import Desc, ref_of

Kinds = frozenset[str]
EMPTY: Kinds = frozenset()
#: The result of an evaluation: the kinds a value may have, and whether more may be learnt from
#: modules this index does not hold.
Result = tuple[Kinds, bool]
_NOTHING: Result = (EMPTY, False)
_UNKNOWN: Result = (EMPTY, True)
ENTRY_KINDS = ("route", "dependency", "middleware", "exception_handler")


def _key(desc: Desc) -> str:
    # repr is about twice as fast as json.dumps, and as unique for these plain lists
    return repr(desc)


class ProjectIndex:
    def __init__(self, summaries: Iterable[Mapping[str, Any]], *, partial: bool = False, call_depth: int = 3):
        self.partial = partial
        self.call_depth = call_depth
        self.modules: dict[str, Mapping[str, Any]] = {}
        self._by_suffix: dict[str, list[str]] = {}
        self.functions: dict[str, Mapping[str, Any]] = {}
        self.classes: dict[str, Mapping[str, Any]] = {}
        self.function_module: dict[str, str] = {}
        self.module_functions: dict[str, list[str]] = {}
        self.class_module: dict[str, str] = {}
        #: the facts of every Alembic revision file (see `fastlint.analysis.alembic`)
        self.revisions: list[Mapping[str, Any]] = []
        for summary in summaries:
            if "alembic" in summary:
                self.revisions.append(summary["alembic"])
            name = summary["module"]
            if name in self.modules:
                continue
            self.modules[name] = summary
            parts = name.split(".")
            for i in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[i:]), []).append(name)
            for qual, facts in summary["functions"].items():
                self.functions.setdefault(qual, facts)
                self.function_module.setdefault(qual, name)
                self.module_functions.setdefault(name, []).append(qual)
            for qual, facts in summary["classes"].items():
                self.classes.setdefault(qual, facts)
                self.class_module.setdefault(qual, name)
        self._memo: dict[str, Result] = {}
        self._histories: dict[str, MigrationHistory] | None = None
        self._active: set[str] = set()
        self._split_memo: dict[str, tuple[str, list[str]] | None] = {}
        self._routes: dict[str, tuple[bool | None, bool]] = {}
        self._registration_table: tuple[dict[str, list[tuple[str, bool | None]]], int, dict[str, int]] | None = None
        self._dependencies: set[str] | None = None
        self._entries: dict[str, str] | None = None
        self._reachable: dict[str, int] | None = None
        self._runtime: dict[str, int] | None = None
        self._callee_memo: dict[str, list[str]] = {}
        self._module_callers: dict[str, dict[str, list[str]]] = {}
        self._methods_by_name: dict[str, list[str]] | None = None
        self._loop: dict[str, str | None] | None = None
        self._http: dict[str, int] | None = None
        self._heavy_memo: dict[str, tuple[str, str] | None] = {}

    # -- modules and names -------------------------------------------------------------------
    def find_module(self, name: str) -> str | None:
        if name in self.modules:
            return name
        if self.partial:
            return None
        candidates = self._by_suffix.get(name)
        if candidates and len(candidates) == 1:
            return candidates[0]
        return None

    def split(self, qual: str) -> tuple[str, list[str]] | None:
        """Split a qualified name into (project module, attribute path), longest module first."""
        if qual in self._split_memo:
            return self._split_memo[qual]
        parts = qual.split(".")
        found = None
        for i in range(len(parts), 0, -1):
            module = self.find_module(".".join(parts[:i]))
            if module is not None:
                found = (module, parts[i:])
                break
        self._split_memo[qual] = found
        return found

    def is_external(self, qual: str) -> bool:
        """True when `qual` cannot name anything in the project (stdlib or a modelled library)."""
        return qual.split(".", 1)[0] in known.EXTERNAL_TOP_LEVEL

    def canonical(self, qual: str, _depth: int = 0) -> str:
        """Follow re-exports (`from .db import SessionLocal` in a package) to the defining name."""
        if _depth > 10:
            return qual
        split = self.split(qual)
        if split is None:
            return qual
        module, rest = split
        if not rest:
            return module
        summary = self.modules[module]
        first = rest[0]
        target = summary["imports"].get(first)
        if target is not None and first not in summary["symbols"] and f"{module}.{first}" not in self.functions:
            return self.canonical(".".join([target, *rest[1:]]), _depth + 1)
        return ".".join([module, *rest])

    # -- kinds ---------------------------------------------------------------------------------
    def kinds(self, desc: Desc) -> Result:
        if desc is None:
            return _NOTHING
        key = _key(desc)
        memo = self._memo.get(key)
        if memo is not None:
            return memo
        if key in self._active:
            return _NOTHING
        self._active.add(key)
        try:
            result = self._eval(desc)
        finally:
            self._active.discard(key)
        self._memo[key] = result
        return result

    def has_kind(self, desc: Desc, wanted: Iterable[str]) -> bool | None:
        kinds, unknown = self.kinds(desc)
        if kinds & frozenset(wanted):
            return True
        return None if unknown else False

    def _eval(self, desc: Desc) -> Result:
        head = desc[0]
        if head == "ref":
            return self._ref(desc[1])
        if head == "call":
            kinds, unknown = self.kinds(desc[1])
            out, more = self._call(kinds, desc[2] if len(desc) > 2 else {}, desc[3] if len(desc) > 3 else None)
            return out, unknown or more
        if head == "attr":
            kinds, unknown = self.kinds(desc[1])
            out, more = self._attr(kinds, desc[2])
            return out, unknown or more
        if head == "inst":
            kinds, unknown = self.kinds(desc[1])
            return _instances(kinds), unknown
        if head == "annot":
            kinds, unknown = self.kinds(desc[1])
            extra: set[str] = set()
            for meta in desc[2]:
                provided, more = self.kinds(meta)
                unknown = unknown or more
                if known.INJECTED in provided:
                    extra.add(known.type_of(known.INJECTED))
                if not _types(kinds):
                    extra |= {known.type_of(k) for k in provided if not k.startswith("T:")}
            return kinds | extra, unknown
        if head == "dep":
            return self._dependency(desc[1])
        if head == "param":
            annotated, unknown = self.kinds(["inst", desc[1]]) if desc[1] is not None else _NOTHING
            default, more = self.kinds(desc[2]) if desc[2] is not None else _NOTHING
            if annotated - {known.INJECTED} and not unknown:
                return annotated | (default & {known.INJECTED}), more
            return annotated | default, unknown or more
        if head in ("await", "enter"):
            kinds, unknown = self.kinds(desc[1])
            return self._entered(kinds) if head == "enter" else kinds, unknown
        if head == "iter":
            kinds, unknown = self.kinds(desc[1])
            return _elements(kinds), unknown
        if head == "union":
            out: set[str] = set()
            unknown = False
            for part in desc[1]:
                kinds, more = self.kinds(part)
                out |= kinds
                unknown = unknown or more
            return frozenset(out), unknown
        if head == "sub":
            base, unknown = self.kinds(desc[1])
            if any(k.startswith("BF:") and k[3:] in known.GENERATOR_TYPES for k in base) and desc[2]:
                inner, more = self.kinds(desc[2][0])
                return inner, unknown or more
            return base, unknown
        return _NOTHING

    def _ref(self, qual: str) -> Result:
        if qual in known.CLASSES:
            return frozenset({known.type_of(known.CLASSES[qual])}), False
        if qual in known.FUNCTIONS or qual in known.GENERATOR_TYPES or qual in known.CACHE_DECORATORS:
            return frozenset({"BF:" + qual}), False
        if qual in known.CONTEXT_MANAGER_DECORATORS:
            return frozenset({"BF:" + qual}), False
        if qual in self.functions:
            return frozenset({"PF:" + qual}), False
        if qual in self.classes:
            return self._class(qual), False
        owner, _, attr = qual.rpartition(".")
        if owner in known.CLASSES:  # `sqlmodel.SQLModel.metadata`
            return self._attr(frozenset({known.type_of(known.CLASSES[owner])}), attr)
        split = self.split(qual)
        if split is None:
            if self.partial and not self.is_external(qual):
                return _UNKNOWN
            return _NOTHING
        module, rest = split
        if not rest:
            return frozenset({"M:" + module}), False
        summary = self.modules[module]
        first, attrs = rest[0], rest[1:]
        base = f"{module}.{first}"
        if base in self.functions:
            kinds: Result = (frozenset({"PF:" + base}), False)
        elif base in self.classes:
            kinds = (self._class(base), False)
        elif first in summary["symbols"]:
            kinds = self.kinds(summary["symbols"][first])
        elif first in summary["imports"]:
            kinds = self.kinds(["ref", summary["imports"][first]])
        elif summary["star"]:
            kinds = self.kinds(["union", [["ref", f"{m}.{first}"] for m in summary["star"]]])
        elif self.partial and summary["package"]:
            kinds = _UNKNOWN  # possibly a submodule this index does not hold
        else:
            kinds = _NOTHING
        out, unknown = kinds
        for attr in attrs:
            out, more = self._attr(out, attr)
            unknown = unknown or more
        return out, unknown

    def _class(self, qual: str) -> Kinds:
        out = {"PC:" + qual}
        for base in self.classes[qual]["bases"]:
            kinds, _ = self.kinds(base)
            out |= {k for k in kinds if k.startswith("T:")}
        return frozenset(out)

    def _attr(self, kinds: Kinds, name: str) -> Result:
        out: set[str] = set()
        unknown = False
        for kind in kinds:
            if kind.startswith("M:"):
                got, more = self._ref(f"{kind[2:]}.{name}")
                out |= got
                unknown = unknown or more
            elif kind.startswith(("PC:", "PI:")):
                got, more = self._member(kind[3:], name, set())
                out |= got
                unknown = unknown or more
            elif name == "metadata" and kind in (known.type_of(known.DECL_BASE), known.DECL_BASE):
                out.add(known.METADATA)
            elif name == "router" and kind == known.FASTAPI_APP:
                out.add(known.API_ROUTER)
            else:
                methods = known.METHOD_RESULTS.get(kind.partition("@")[0])
                if methods is not None and name in methods:
                    out.add(f"BM:{kind}.{name}")
        return frozenset(out), unknown

    def _member(self, cls: str, name: str, seen: set[str]) -> Result:
        if cls in seen:
            return _NOTHING
        seen.add(cls)
        method = f"{cls}.{name}"
        if method in self.functions:
            if self.functions[method].get("property"):
                return self._function_result(method, called=True)  # `db.FlowRun` is what it returns
            return frozenset({"PF:" + method}), False
        facts = self.classes.get(cls)
        if facts is None:
            return _NOTHING
        if name in facts["attrs"]:
            return self.kinds(facts["attrs"][name])
        out: set[str] = set()
        unknown = False
        for base in facts["bases"]:
            kinds, more = self.kinds(base)
            unknown = unknown or more
            for kind in kinds:
                if kind.startswith("PC:"):
                    got, more = self._member(kind[3:], name, seen)
                    out |= got
                    unknown = unknown or more
                elif kind.startswith("T:"):
                    got, _ = self._attr(frozenset({kind}), name)
                    out |= got
        return frozenset(out), unknown

    def _entity(self, desc: Desc, *, of_statement: bool) -> tuple[str | None, bool]:
        """The mapped class a call argument names (`User`), or that a statement selects."""
        if desc is None:
            return None, False
        kinds, unknown = self.kinds(desc)
        for kind in sorted(kinds):
            if not of_statement and kind.startswith("PC:"):
                return kind[3:], unknown
            if of_statement and "@" in kind and kind.partition("@")[0] in known.STATEMENTS:
                return kind.partition("@")[2], unknown
        return None, unknown

    def _call(self, kinds: Kinds, keywords: Mapping[str, Desc], arg0: Desc = None) -> Result:
        out: set[str] = set()
        unknown = False
        for kind in kinds:
            if kind.startswith("T:"):
                product = kind[2:]
                if product == known.SESSIONMAKER and "class_" in keywords:
                    cls, more = self.kinds(keywords["class_"])
                    unknown = unknown or more
                    if known.type_of(known.ASYNC_SESSION) in cls:
                        product = known.ASYNC_SESSIONMAKER
                out.add(product)
            elif kind.startswith("BF:") and kind[3:] in known.FUNCTIONS:
                product = known.FUNCTIONS[kind[3:]]
                out.add(product)
                if kind[3:] in known.ENTITY_FUNCTIONS:
                    entity, more = self._entity(arg0, of_statement=False)
                    unknown = unknown or more
                    if entity is not None:
                        out.add(f"{product}@{entity}")
            elif kind in known.FACTORY_PRODUCT:
                out.add(known.FACTORY_PRODUCT[kind])
            elif kind.startswith("BM:"):
                owner, _, method = kind[3:].rpartition(".")
                base, _, entity = owner.partition("@")
                product = known.METHOD_RESULTS.get(base, {}).get(method)
                if product is None:
                    continue
                if product == "=":
                    product = base
                elif method in known.ENTITY_METHODS or method in known.STATEMENT_METHODS:
                    found, more = self._entity(arg0, of_statement=method in known.STATEMENT_METHODS)
                    unknown = unknown or more
                    entity = found or (entity if arg0 is None else "")
                out.add(product)
                if entity:
                    out.add(f"{product}@{entity}")
                    if product == known.ROW:
                        out.add("PI:" + entity)
            elif kind.startswith("PF:"):
                got, more = self._function_result(kind[3:], called=True)
                out |= got
                unknown = unknown or more
            elif kind.startswith("PC:"):
                out.add("PI:" + kind[3:])
        return frozenset(out), unknown

    def _function_result(self, qual: str, *, called: bool) -> Result:
        """What calling a project function gives (or, for a dependency, what it provides)."""
        facts = self.functions.get(qual)
        if facts is None:
            return _NOTHING
        if facts["gen"]:
            decorated = any(
                self.has_kind(d, {"BF:" + q for q in known.CONTEXT_MANAGER_DECORATORS}) for d in facts["decorators"]
            )
            if called and not decorated:
                return frozenset({"GEN:" + qual}), False
            return self.kinds(["union", facts["yields"]] if facts["yields"] else None)
        kinds, unknown = self.kinds(["union", facts["returns"]] if facts["returns"] else None)
        if not kinds and facts["returns_annotation"] is not None:
            annotated, more = self.kinds(["inst", facts["returns_annotation"]])
            return annotated, unknown or more
        return kinds, unknown

    def _entered(self, kinds: Kinds) -> Kinds:
        out: set[str] = set()
        for kind in kinds:
            if kind.startswith("GEN:"):
                continue
            out.add(kind)
        return frozenset(out)

    def _dependency(self, target: Desc) -> Result:
        """What FastAPI injects for ``Depends(target)``."""
        if target is None:
            return frozenset({known.INJECTED}), False
        kinds, unknown = self.kinds(target)
        out: set[str] = {known.INJECTED}
        for kind in kinds:
            if kind.startswith("PF:"):
                got, more = self._function_result(kind[3:], called=False)
                out |= got
                unknown = unknown or more
            elif kind.startswith("T:"):
                out.add(kind[2:])
            elif kind.startswith("PC:"):
                out.add("PI:" + kind[3:])
            elif kind.startswith("PI:"):
                call = self._method(kind[3:], "__call__")
                if call is not None:
                    got, more = self._function_result(call, called=False)
                    out |= got
                    unknown = unknown or more
            elif kind in known.FACTORY_PRODUCT:
                out.add(known.FACTORY_PRODUCT[kind])
        return frozenset(out), unknown

    def _method(self, cls: str, name: str) -> str | None:
        """The project function that implements `cls.name` (looking through project bases)."""
        kinds, _ = self._member(cls, name, set())
        for kind in sorted(kinds):  # sorted: the same answer whatever the hash seed
            if kind.startswith("PF:"):
                return kind[3:]
        return None

    # -- FastAPI -------------------------------------------------------------------------------
    def is_route(self, fn: str, *, websocket: bool | None = None) -> bool | None:
        """`fn` is a path operation; `websocket=False` asks for an HTTP route only, True for a
        websocket route only."""
        if fn not in self._routes:
            self._routes[fn] = (False, False)  # cycle guard
            self._routes[fn] = self._route(fn)
        result, is_websocket = self._routes[fn]
        if result and websocket is not None and websocket != is_websocket:
            return False
        return result

    def _route(self, fn: str) -> tuple[bool | None, bool]:
        facts = self.functions.get(fn)
        if facts is None:
            return (None if self.partial else False), False
        result: bool | None = False
        for deco in facts["decorators"]:
            decided, method = self._route_decorator(deco)
            if decided:
                return True, method == "websocket"
            if decided is None:
                result = None
        registered, method = self._registered(fn)
        if registered:
            return True, "websocket" in method
        if registered is None or self.partial:
            result = None
        return result, False

    def _route_decorator(self, deco: Desc) -> tuple[bool | None, str]:
        if deco is None or deco[0] != "call" or deco[1] is None:
            return False, ""
        func = deco[1]
        if func[0] == "ref":
            receiver_q, _, method = func[1].rpartition(".")
            if method not in known.ROUTE_METHODS or not receiver_q:
                return False, ""
            receiver: Desc = ["ref", receiver_q]
        elif func[0] == "attr":
            method = func[2]
            if method not in known.ROUTE_METHODS:
                return False, ""
            receiver = func[1]
        else:
            return False, ""
        return self.has_kind(receiver, known.APPS_AND_ROUTERS), method

    def _registered(self, fn: str) -> tuple[bool | None, str]:
        """`fn` is registered as an endpoint (`add_api_route(path, fn)`) on an app or router:
        True with the method, None when a registration whose endpoint or owner is uncertain
        might be it, else False."""
        by_function, uncertain, naming = self._registrations()
        result: bool | None = False
        for method, owner in by_function.get(fn, ()):
            if owner:
                return True, method
            if owner is not False:
                result = None
        # registrations whose endpoint is uncertain and does not name fn: `fn` might be it
        if uncertain > naming.get(fn, 0):
            result = None
        return result, ""

    def _registrations(self) -> tuple[dict[str, list[tuple[str, bool | None]]], int, dict[str, int]]:
        """Every registration of the project, once: the function it names -> (method, whether
        its receiver is an app or router), in module order; how many have an uncertain endpoint
        and a receiver that may be an app; and per function, how many of those name it."""
        if self._registration_table is None:
            by_function: dict[str, list[tuple[str, bool | None]]] = {}
            uncertain = 0
            naming: dict[str, int] = {}
            for summary in self.modules.values():
                for method, receiver, endpoint in summary["registrations"]:
                    kinds, unknown = self.kinds(endpoint)
                    named = [kind[3:] for kind in sorted(kinds) if kind.startswith("PF:")]
                    if not named and not unknown:
                        continue
                    owner = self.has_kind(receiver, known.APPS_AND_ROUTERS)
                    for fn in named:
                        by_function.setdefault(fn, []).append((method, owner))
                    if unknown and owner is not False:
                        uncertain += 1
                        for fn in named:
                            naming[fn] = naming.get(fn, 0) + 1
            self._registration_table = (by_function, uncertain, naming)
        return self._registration_table

    def dependencies(self) -> set[str]:
        """Qualified names of the project functions and classes used in `Depends(...)`."""
        if self._dependencies is None:
            found: set[str] = set()
            for summary in self.modules.values():
                for target in summary["depends"]:
                    kinds, _ = self.kinds(target)
                    for kind in kinds:
                        if kind.startswith(("PF:", "PC:")):
                            found.add(kind[3:])
                        elif kind.startswith("PI:"):
                            call = self._method(kind[3:], "__call__")
                            if call is not None:
                                found.add(call)
            self._dependencies = found
        return self._dependencies

    def is_dependency(self, fn: str) -> bool | None:
        deps = self.dependencies()
        owner, _, method = fn.rpartition(".")
        if fn in deps or (method in ("__init__", "__call__") and owner in deps):
            return True
        return None if self.partial else False

    def entry_points(self) -> dict[str, str]:
        """Function qualname -> entry kind, for every FastAPI entry point the index knows."""
        if self._entries is None:
            entries: dict[str, str] = {}
            for fn in self.functions:
                if self.is_route(fn):
                    entries[fn] = "route"
            for dep in self.dependencies():
                if dep in self.functions:
                    entries.setdefault(dep, "dependency")
                else:
                    for method in ("__call__", "__init__"):
                        if f"{dep}.{method}" in self.functions:
                            entries.setdefault(f"{dep}.{method}", "dependency")
            for fn, facts in self.functions.items():
                if facts.get("entry"):
                    entries.setdefault(fn, facts["entry"])
            for summary in self.modules.values():
                for kind, desc in summary.get("entries", ()):
                    if kind != "middleware":
                        for target in self._functions_of([desc]):
                            entries.setdefault(target, kind)
                    else:  # a middleware class: its dispatch / __call__
                        for cls_kind in self.kinds(desc)[0]:
                            if cls_kind.startswith("PC:"):
                                for method in ("dispatch", "__call__"):
                                    impl = self._method(cls_kind[3:], method)
                                    if impl is not None:
                                        entries.setdefault(impl, kind)
            self._entries = entries
        return self._entries

    def _callees(self, fn: str) -> list[str]:
        cached = self._callee_memo.get(fn)
        if cached is not None:
            return cached
        facts = self.functions.get(fn)
        out: list[str] = []
        if facts is not None:
            once = set(facts.get("once", ()))
            descs = [["ref", target] for target in facts["calls"] if target not in once]
            descs += [d for d in facts.get("method_calls", ()) if _key(d) not in once]
            for name in self._functions_of(descs):
                if name not in out:
                    out.append(name)
        self._callee_memo[fn] = out
        return out

    def _functions_of(self, descs: Iterable[Desc]) -> list[str]:
        out = []
        for desc in descs:
            kinds, _ = self.kinds(desc)
            for kind in sorted(kinds):  # sorted: callee order decides the call chains in messages
                if kind.startswith("PF:"):
                    out.append(kind[3:])
                elif kind.startswith("PC:") and f"{kind[3:]}.__init__" in self.functions:
                    out.append(f"{kind[3:]}.__init__")
        return out

    def _closure(self, starts: Iterable[str]) -> dict[str, int]:
        depth_of: dict[str, int] = {}
        for fn in starts:
            depth_of.setdefault(fn, 0)
        frontier = list(depth_of)
        for depth in range(1, self.call_depth + 1):
            nxt = []
            for fn in frontier:
                for callee in self._callees(fn):
                    if callee not in depth_of:
                        depth_of[callee] = depth
                        nxt.append(callee)
            frontier = nxt
        return depth_of

    def reachable(self) -> dict[str, int]:
        """Request code: entry points and what they call, to `call_depth` calls deep."""
        if self._reachable is None:
            self._reachable = self._closure(self.entry_points())
        return self._reachable

    def startup_functions(self) -> list[str]:
        """Start-up hooks, and what application modules call when they are imported."""
        starts = [fn for fn, facts in self.functions.items() if facts.get("startup")]
        for summary in self.modules.values():
            starts += self._functions_of(summary.get("startup", ()))
            if summary.get("app_code", True):
                starts += self._functions_of(["ref", q] for q in summary.get("module_calls", ()))
        return starts

    def runtime(self) -> dict[str, int]:
        """Code the running application executes: request code and start-up code."""
        if self._runtime is None:
            self._runtime = self._closure([*self.entry_points(), *self.startup_functions()])
        return self._runtime

    def is_runtime_code(self, fn: str) -> bool | None:
        if self.partial:
            return True if (self.is_route(fn) or self.functions.get(fn, {}).get("startup")) else None
        return fn in self.runtime()

    def calls_into(self, fn: str, prefixes: Sequence[str], depth: int = 1) -> bool | None:
        """`fn`, or a project function it calls (to `depth` calls), calls a name under `prefixes`
        (e.g. ``alembic.command.``) or a method named like one (``.stamp``)."""
        seen = {fn}
        frontier = [fn]
        undecided = False
        for level in range(depth + 1):
            nxt = []
            for current in frontier:
                facts = self.functions.get(current)
                if facts is None:
                    continue
                for target in facts["calls"]:
                    if any(target.startswith(p) or ("." + target).endswith(p) for p in prefixes):
                        return True
                for method in facts.get("methods", ()):
                    if "." + method in prefixes:
                        return True
                if level < depth:
                    for target in facts["calls"]:
                        kinds, unknown = self.kinds(["ref", target])
                        undecided = undecided or unknown
                        for kind in kinds:
                            if kind.startswith("PF:") and kind[3:] not in seen:
                                seen.add(kind[3:])
                                nxt.append(kind[3:])
            frontier = nxt
        return None if (undecided and self.partial) else False

    # -- the event loop ----------------------------------------------------------------------------
    def loop_parents(self) -> dict[str, str | None]:
        """Functions that run on the event loop, each with the caller it is reached through
        (None for the entry point): `async def` routes, dependencies, middleware, exception
        handlers and websocket handlers, and what they call directly, to `call_depth` calls.
        A sync `def` entry point runs in the threadpool; calls handed to a thread do not count
        (they are not calls of the function, see `ModuleModel.offloaded`)."""
        if self._loop is None:
            parents: dict[str, str | None] = {}
            frontier = []
            for fn in sorted(self.entry_points()):
                facts = self.functions.get(fn)
                if facts is not None and facts.get("async"):
                    parents[fn] = None
                    frontier.append(fn)
            for _ in range(self.call_depth):
                nxt = []
                for fn in frontier:
                    for callee in self._callees(fn):
                        if callee not in parents:
                            parents[callee] = fn
                            nxt.append(callee)
                frontier = nxt
            self._loop = parents
        return self._loop

    def on_event_loop(self, fn: str) -> bool | None:
        if self.partial:
            facts = self.functions.get(fn)
            if facts is not None and facts.get("async") and (self.is_route(fn) or facts.get("entry")):
                return True
            return None
        return fn in self.loop_parents()

    def _where(self, fn: str) -> str:
        facts = self.functions.get(fn, {})
        module = self.function_module.get(fn)
        path = self.modules[module].get("path", module) if module is not None else "?"
        line = facts.get("line")
        return f"{path}:{line}" if line else str(path)

    def loop_chain(self, fn: str) -> str | None:
        """`async route list_items() app/api.py:10 -> load() app/crud.py:12`, from the entry point."""
        parents = self.loop_parents() if not self.partial else {fn: None}
        if fn not in parents:
            return None
        chain = []
        current: str | None = fn
        while current is not None and len(chain) < 12:
            chain.append(current)
            current = parents.get(current)
        chain.reverse()
        entry = chain[0]
        kind = self.entry_points().get(entry, "entry point") if not self.partial else (self.functions.get(entry, {}).get("entry") or "route")
        parts = [f"async {kind.replace('_', ' ')} `{entry.rsplit('.', 1)[-1]}()` {self._where(entry)}"]
        parts += [f"{c.rsplit('.', 1)[-1]}() {self._where(c)}" for c in chain[1:]]
        return " -> ".join(parts)

    def heavy_work(self, fn: str, depth: int | None = None) -> tuple[str, str] | None:
        """(what, where) for the first CPU-heavy or report-generating call `fn` makes, itself or
        through project functions it calls (to `call_depth`): `("password hashing (bcrypt)",
        "hash_all() app/tasks.py:12")`."""
        if depth is None:
            depth = self.call_depth
        key = f"{fn}@{depth}"
        if key in self._heavy_memo:
            return self._heavy_memo[key]
        self._heavy_memo[key] = None  # recursion guard
        found: tuple[str, str] | None = None
        facts = self.functions.get(fn)
        if facts is not None:
            label = self._heavy_label(facts)
            if label is not None:
                found = (label, f"{fn.rsplit('.', 1)[-1]}() {self._where(fn)}")
            elif depth > 0:
                for callee in self._callees(fn):
                    inner = self.heavy_work(callee, depth - 1)
                    if inner is not None:
                        found = inner
                        break
        self._heavy_memo[key] = found
        return found

    def _heavy_label(self, facts: Mapping[str, Any]) -> str | None:
        for target in facts["calls"]:
            label = work.CPU_FUNCTIONS.get(target)
            if label is None and target.startswith(work.PASSLIB_SCHEMES) and target.rsplit(".", 1)[-1] in work.PASSLIB_METHODS:
                label = "password hashing (passlib)"
            if label is not None:
                return label
        for desc in facts.get("method_calls", ()):
            if not desc or desc[0] != "attr":
                continue
            method = desc[2]
            for table in (work.CPU_METHODS, work.REPORT_METHODS):
                wanted = work.match_methods(table, method)
                if wanted and self.has_kind(desc[1], wanted):
                    return next(iter(wanted.values()))
        return None

    def is_http_request_code(self, fn: str) -> bool | None:
        """Request code that a client waits on: like `is_request_code`, without websocket
        handlers (long-lived sessions with no response to delay)."""
        if self.partial:
            return True if self.is_route(fn, websocket=False) else None
        if self._http is None:
            starts = [e for e in self.entry_points() if not self.is_route(e, websocket=True)]
            self._http = self._closure(starts)
        return fn in self._http

    def is_request_code(self, fn: str) -> bool | None:
        if self.partial:
            return True if self.is_route(fn) else None
        return fn in self.reachable()

    def is_used_by_request_code(self, qual: str) -> bool | None:
        target = self.canonical(qual)
        functions = self.functions if self.partial else {fn: self.functions[fn] for fn in self.reachable() if fn in self.functions}
        for fn, facts in functions.items():
            if self.partial and not self.is_route(fn):
                continue
            for ref in facts["refs"]:
                if ref == qual or ref.startswith(qual + ".") or self._refers_to(ref, target):
                    return True
        return None if self.partial else False

    def _refers_to(self, ref: str, target: str) -> bool:
        parts = ref.split(".")
        for i in range(len(parts), 0, -1):
            if self.canonical(".".join(parts[:i])) == target:
                return True
        return False

    def _callers_in_module(self, module: str) -> dict[str, list[str]]:
        """callee -> the functions of `module` that call it directly (computed once per module)."""
        found = self._module_callers.get(module)
        if found is None:
            found = {}
            for caller in self.module_functions.get(module, ()):
                for callee in self._callees(caller):
                    found.setdefault(callee, []).append(caller)
            self._module_callers[module] = found
        return found

    def is_serialized_by_callers(self, fn: str, _depth: int = 0) -> bool:
        """Every caller of `fn` in its module holds a lock when it calls (it takes one, or is
        itself only called under one): `fn` never runs beside itself."""
        module = self.function_module.get(fn)
        if module is None or _depth > 2:
            return False
        callers = [c for c in self._callers_in_module(module).get(fn, ()) if c != fn]
        return bool(callers) and all(
            self.functions[c].get("locks") or self.is_serialized_by_callers(c, _depth + 1) for c in callers
        )

    def is_called_by_route_in_module(self, fn: str) -> bool | None:
        module = self.function_module.get(fn)
        if module is None:
            return None if self.partial else False
        undecided = False
        if self.functions.get(fn, {}).get("gen"):
            return False  # a generator's body runs when it is iterated (e.g. by a StreamingResponse)
        for caller in self._callers_in_module(module).get(fn, ()):
            if caller == fn:
                continue
            route = self.is_route(caller, websocket=False)
            if route:
                return True
            if route is None:
                undecided = True
        return None if undecided else False

    # -- ORM models ------------------------------------------------------------------------------
    def _class_chain(self, cls: str) -> list[str]:
        """`cls` and its project base classes, nearest first."""
        out: list[str] = []
        stack = [cls]
        while stack and len(out) < 20:
            current = stack.pop(0)
            if current in out or current not in self.classes:
                continue
            out.append(current)
            for base in self.classes[current]["bases"]:
                for kind in self.kinds(base)[0]:
                    if kind.startswith("PC:"):
                        stack.append(kind[3:])
        return out

    def column(self, entity: str, name: str) -> dict[str, Any] | None:
        for cls in self._class_chain(entity):
            found = self.classes[cls].get("columns", {}).get(name)
            if found is not None:
                return found
        return None

    def entity_of(self, desc: Desc) -> tuple[str | None, bool]:
        """The mapped class a value is (a class object) or belongs to (an instance, a statement)."""
        kinds, unknown = self.kinds(desc)
        for kind in sorted(kinds):
            if kind.startswith(("PC:", "PI:")) and self._class_chain(kind[3:]):
                return kind[3:], unknown
            if "@" in kind:
                return kind.partition("@")[2], unknown
        return None, unknown

    def is_column_of(self, desc: Desc, name: str) -> bool | None:
        """`<desc>.<name>` is a mapped column (`User.email` where `User` is a mapped class)."""
        entity, unknown = self.entity_of(desc)
        if entity is None:
            return None if unknown else False
        found = self.column(entity, name) is not None
        if not found and self.partial and not self._class_chain(entity):
            return None
        return found

    # -- Alembic ---------------------------------------------------------------------------------
    def history(self, folder: str) -> MigrationHistory | None:
        """The migration history a versions folder belongs to. Folders whose revisions name
        each other's ids (several `version_locations` of one `script_location`) share one."""
        if self._histories is None:
            self._histories = {}
            by_folder: dict[str, list[Mapping[str, Any]]] = {}
            for facts in self.revisions:
                by_folder.setdefault(facts["dir"], []).append(facts)
            ids = {key: {f["revision"] for f in group} for key, group in by_folder.items()}
            folders = DisjointSets(by_folder)
            for key, group in by_folder.items():
                for facts in group:
                    for named in (*facts["down"], *facts["depends"]):
                        if named in ids[key]:
                            continue
                        for other, other_ids in ids.items():
                            if named in other_ids:
                                folders.union(other, key)
            merged: dict[str, list[Mapping[str, Any]]] = {}
            for key, group in by_folder.items():
                merged.setdefault(folders.find(key), []).extend(group)
            histories = {key: MigrationHistory(group) for key, group in merged.items()}
            for key in by_folder:
                self._histories[key] = histories[folders.find(key)]
        return self._histories.get(folder)

    def secret_field_of(self, desc: Desc) -> bool | None:
        """`desc` is an instance of a project class with a password/secret field."""
        kinds, unknown = self.kinds(desc)
        classes = sorted(k[3:] for k in kinds if k.startswith("PI:"))
        if not classes:
            return None if unknown and self.partial else False
        for cls in self._class_chain(classes[0]):
            facts = self.classes[cls]
            if any(work.is_secret_name(name) for name in (*facts.get("attrs", {}), *facts.get("columns", {}))):
                return True
        return False

    def _encodes(self, fn: str, where: Any, callee: Desc) -> bool:
        """The argument at `where` (position or keyword) of a call of `fn` becomes JWT claims."""
        facts = self.functions.get(fn)
        if facts is None or not facts.get("encodes"):
            return False
        names = [n for n, _ in facts["params"]]
        if isinstance(where, int):
            offset = 1 if facts.get("class") and callee and callee[0] == "attr" and names[:1] in (["self"], ["cls"]) else 0
            if where + offset >= len(names):
                return False
            where = names[where + offset]
        return where in facts["encodes"]

    def literal_strings(self, qual: str, _depth: int = 0) -> list[str] | None:
        """The strings module constant `qual` holds (see `ModuleModel._module_literal`),
        following imports."""
        if _depth > 5:
            return None
        split = self.split(qual)
        if split is None:
            return None
        module, rest = split
        summary = self.modules[module]
        if len(rest) == 2:
            # `Settings.cors_origins`, or `settings.cors_origins` with `settings = Settings()`
            found = summary.get("literals", {}).get(".".join(rest))
            if found is not None:
                return found
            instance = summary["symbols"].get(rest[0])
            if isinstance(instance, list) and len(instance) == 2 and instance[0] == "call":
                cls = ref_of(instance[1])
                if cls is not None:
                    return self.literal_strings(f"{cls}.{rest[1]}", _depth + 1)
            return None
        if len(rest) != 1:
            return None
        found = summary.get("literals", {}).get(rest[0])
        if found is not None:
            return found
        if rest[0] in summary["imports"]:
            return self.literal_strings(summary["imports"][rest[0]], _depth + 1)
        return None

    def is_foreign_key_of(self, desc: Desc, name: str) -> bool | None:
        """`<desc>.<name>` is a mapped column with a `ForeignKey`."""
        entity, unknown = self.entity_of(desc)
        if entity is None:
            return None if unknown else False
        column = self.column(entity, name)
        if column is None:
            return None if (self.partial and not self._class_chain(entity)) else False
        return bool(column.get("fk"))

    def table_of(self, entity: str) -> str | None:
        for cls in self._class_chain(entity):
            if self.classes[cls].get("table"):
                return self.classes[cls]["table"]
        return None

    def is_unique_column(self, entity: str, name: str) -> bool | None:
        """A primary-key or unique column: a filter on it returns at most one row."""
        column = self.column(entity, name)
        if column is None:
            return None if self.partial else False
        if column["unique"]:
            return True
        if column["pk"]:
            keys = {n for cls in self._class_chain(entity) for n, c in self.classes[cls].get("columns", {}).items() if c["pk"]}
            return len(keys) == 1  # one column of a composite primary key is not unique alone
        for cls in self._class_chain(entity):
            if [name] in self.classes[cls].get("indexes", []):
                return True
        return False

    def is_unique_cover(self, entity: str, names: Sequence[str]) -> bool | None:
        """Some unique key of `entity` (primary key, unique column or constraint) has all its
        columns among `names`: filtering on all of them returns at most one row each."""
        filtered = set(names)
        if any(self.is_unique_column(entity, n) for n in filtered):
            return True
        chain = self._class_chain(entity)
        if not chain:
            return None if self.partial else False
        keys = [n for cls in chain for n, c in self.classes[cls].get("columns", {}).items() if c["pk"]]
        if keys and set(keys) <= filtered:
            return True
        return any(set(cols) <= filtered for cls in chain for cols in self.classes[cls].get("unique", ()))

    def is_constant_value(self, desc: Desc) -> bool | None:
        """A value fixed in the code, or a number: a module constant, or what a property,
        method or function returns when every `return` is a literal (`db.timestamp_now` ->
        "now()") or its return annotation is `int`/`float`/`bool`."""
        if desc is None:
            return False
        if desc[0] == "const":
            return True
        if desc[0] == "ref" and self.is_constant(desc[1]):
            return True
        unknown = False
        for fn in self._functions_behind(desc):
            facts = self.functions[fn]
            returns = facts.get("returns", [])
            if returns and all(r is not None and r[0] == "const" for r in returns):
                return True
            annotation = facts.get("returns_annotation")
            if annotation is not None and ref_of(annotation) in _NUMERIC:
                return True
        if self.partial and self.kinds(desc)[1]:
            unknown = True
        return None if unknown else False

    def _functions_behind(self, desc: Desc) -> list[str]:
        """The project functions that produce a value: the callee of a call, the property or
        method an attribute names."""
        if desc[0] == "call":
            kinds = self.kinds(desc[1])[0]
            return [k[3:] for k in kinds if k.startswith("PF:") and k[3:] in self.functions]
        if desc[0] == "attr":
            owner, name = self.kinds(desc[1])[0], desc[2]
        elif desc[0] == "ref" and "." in desc[1]:
            head, _, name = desc[1].rpartition(".")
            owner = self.kinds(["ref", head])[0]
        else:
            return []
        out = []
        for kind in owner:
            if kind.startswith(("PC:", "PI:")):
                for cls in self._class_chain(kind[3:]):
                    if f"{cls}.{name}" in self.functions:
                        out.append(f"{cls}.{name}")
                        break
        return out

    def is_indexed_column(self, entity: str, name: str) -> bool | None:
        """The leading column of some index: primary key, unique, `index=True`, an `Index(...)` or
        constraint in `__table_args__`, or an Alembic `op.create_index` on the model's table."""
        column = self.column(entity, name)
        if column is None:
            return None if self.partial else False
        if column["pk"] or column["unique"] or column["index"]:
            return True
        for cls in self._class_chain(entity):
            if any(cols and cols[0] == name for cols in self.classes[cls].get("indexes", [])):
                return True
        chain = set(self._class_chain(entity))
        for summary in self.modules.values():
            for owner, cols in summary.get("indexes", ()):
                if cols and cols[0] == name and any(k[3:] in chain for k in self.kinds(["ref", owner])[0] if k.startswith("PC:")):
                    return True
        table = self.table_of(entity)
        if table is not None:
            for summary in self.modules.values():
                for idx_table, cols in summary.get("alembic_indexes", ()):
                    if idx_table == table and cols and cols[0] == name:
                        return True
        return None if self.partial else False

    def relationship(self, entity: str, name: str) -> dict[str, Any] | None:
        for cls in self._class_chain(entity):
            found = self.classes[cls].get("relationships", {}).get(name)
            if found is not None:
                return found
        return None

    def is_lazy_relationship(self, entity: str, name: str) -> bool | None:
        """A relationship loaded on first access (the default `lazy="select"`)."""
        found = self.relationship(entity, name)
        if found is None:
            return None if self.partial else False
        return found["lazy"] in (None, "select")

    def methods_named(self, name: str) -> list[str]:
        """Qualified names of the project's methods called `name` (at most 20)."""
        if self._methods_by_name is None:
            self._methods_by_name = {}
            for qual, facts in self.functions.items():
                if facts.get("class"):
                    self._methods_by_name.setdefault(qual.rsplit(".", 1)[-1], []).append(qual)
        return self._methods_by_name.get(name, [])[:20]

    def is_capped(self, fn: str, param: str, depth: int = 3) -> bool | None:
        """The parameter is bounded by the code: `min(param, N)`, `if param > N: raise`, a slice
        bound, here or in a project function it is passed to (up to `depth` calls)."""
        facts = self.functions.get(fn)
        if facts is None:
            return None if self.partial else False
        if param in facts.get("capped", ()) or param in facts.get("sliced", ()):
            return True
        if depth <= 0:
            return False
        undecided = False
        for name, callee, where in facts.get("forwards", ()):
            if name != param:
                continue
            kinds, unknown = self.kinds(callee)
            undecided = undecided or unknown
            if callee and callee[0] == "attr" and all(
                self.functions.get(k[3:], {}).get("class") for k in kinds if k.startswith("PF:")
            ):
                # `_get_store().search(max_results=n)`: a method call dispatches on the receiver's
                # runtime class (a factory, an abstract base): the project's methods of that name
                # are the candidates, and one that bounds the value counts
                kinds = set(kinds) | {f"PF:{q}" for q in self.methods_named(callee[2])}
            for kind in sorted(kinds):
                if not kind.startswith("PF:"):
                    continue
                target = self.functions.get(kind[3:])
                if target is None:
                    continue
                names = [n for n, _ in target["params"]]
                if isinstance(where, int):
                    # a method called on an instance: its first parameter is the instance
                    offset = 1 if target.get("class") and callee[0] == "attr" and names[:1] in (["self"], ["cls"]) else 0
                    if where + offset >= len(names):
                        continue
                    inner = names[where + offset]
                else:
                    inner = where
                if inner.lstrip("*") in names or inner in names:
                    decided = self.is_capped(kind[3:], inner, depth - 1)
                    if decided:
                        return True
                    undecided = undecided or decided is None
        return None if (undecided and self.partial) else False

    def is_constant(self, qual: str, _depth: int = 0) -> bool | None:
        """`qual` is a module-level name bound to a literal (`DEFAULT_NAME = "default"`)."""
        if _depth > 8:
            return False
        split = self.split(qual)
        if split is None:
            return None if (self.partial and not self.is_external(qual)) else False
        module, rest = split
        if len(rest) != 1:
            return False
        summary = self.modules[module]
        desc = summary["symbols"].get(rest[0])
        if desc is None and rest[0] in summary["imports"]:
            return self.is_constant(summary["imports"][rest[0]], _depth + 1)
        if desc is None:
            return None if self.partial and summary["package"] else False
        if desc[0] == "const":
            return True
        if desc[0] == "ref":
            return self.is_constant(desc[1], _depth + 1)
        return False

    # -- message lookups ------------------------------------------------------------------------
    def lookup(self, query: str, args: Sequence[Any]) -> str | None:
        """Text for a message field that only the index knows (see `fastlint.rule.Lookup`)."""
        if query == "entity_name":
            entity, _ = self.entity_of(args[0])
            return entity.rsplit(".", 1)[-1] if entity else None
        if query == "model_location":
            entity, _ = self.entity_of(args[0])
            for cls in self._class_chain(entity) if entity else ():
                facts = self.classes[cls]
                module = self.class_module.get(cls)
                if module is not None and "line" in facts:
                    return f"{self.modules[module].get('path', module)}:{facts['line']}"
            return None
        if query == "work_label":
            receiver, _method, labels = args
            kinds, _ = self.kinds(receiver)
            for kind, label in labels:
                if kind in kinds:
                    return label
            return labels[0][1] if labels else None
        if query == "alembic_heads":
            history = self.history(args[0])
            if history is None:
                return None
            heads = sorted(h for h in history.extra_heads() if h != args[1])
            return ", ".join(f"`{h}`" for h in heads[:5]) + (" ..." if len(heads) > 5 else "")
        if query == "loop_chain_text":
            chain = self.loop_chain(args[0])
            return f"on the event loop, reached from {chain}" if chain else None
        if query == "loop_chain":
            return self.loop_chain(args[0])
        if query == "heavy_chain":
            for kind in sorted(self.kinds(args[0])[0]):
                if kind.startswith("PF:"):
                    found = self.heavy_work(kind[3:])
                    if found is not None:
                        return f"{found[0]} in {found[1]}"
            return None
        raise ValueError(f"unknown lookup {query!r}")

    # -- conditions ------------------------------------------------------------------------------
    def oracle(self, atom: Sequence[Any]) -> bool | None:
        """Decide one condition atom (see `fastlint.analysis.queries`)."""
        head = atom[0]
        if head == "kind":
            return self.has_kind(atom[1], atom[2])
        if head == "route":
            return self.is_route(atom[1])
        if head == "http_route":
            return self.is_route(atom[1], websocket=False)
        if head == "dependency":
            return self.is_dependency(atom[1])
        if head == "entry":
            route = self.is_route(atom[1])
            if route:
                return True
            dep = self.is_dependency(atom[1])
            if dep:
                return True
            return None if (route is None or dep is None) else False
        if head == "request_code":
            return self.is_request_code(atom[1])
        if head == "used_by_request_code":
            return self.is_used_by_request_code(atom[1])
        if head == "called_by_route_in_module":
            return self.is_called_by_route_in_module(atom[1])
        if head == "capped":
            return self.is_capped(atom[1], atom[2])
        if head == "unique_cover":
            entity, unknown = self.entity_of(atom[1])
            if entity is None:
                return None if unknown else False
            return self.is_unique_cover(entity, atom[2])
        if head == "constant_value":
            return self.is_constant_value(atom[1])
        if head == "constant":
            return self.is_constant(atom[1])
        if head == "column_of":
            return self.is_column_of(atom[1], atom[2])
        if head == "encodes_jwt":
            kinds, unknown = self.kinds(atom[1])
            functions = [k[3:] for k in kinds if k.startswith("PF:")]
            if not functions:
                return None if unknown and self.partial else False
            return any(self._encodes(fn, atom[2], atom[1]) for fn in functions)
        if head == "alembic_without_postgres":
            history = self.history(atom[1])
            if history is None:
                return None if self.partial else False
            mentioned = {d for facts in history.revisions for d in facts.get("dialects", ())}
            if "postgres" in mentioned:
                return False
            # the files a partial index lacks may name PostgreSQL, or another database
            return None if self.partial else bool(mentioned)
        if head in ("alembic_extra_head", "alembic_missing", "alembic_duplicate", "alembic_in_cycle"):
            history = self.history(atom[1])
            if history is None:
                return None if self.partial else False
            if head == "alembic_extra_head":
                # any file a partial run did not read may add or merge a head
                return None if self.partial else atom[2] in history.extra_heads()
            if head == "alembic_missing":
                found = history.is_missing(atom[2])
            elif head == "alembic_duplicate":
                return True if atom[2] in history.duplicates() else (None if self.partial else False)
            else:
                return True if atom[2] in history.cycle_members() else (None if self.partial else False)
            # an id missing from the files a partial run read may be in another one
            return None if self.partial and found else found
        if head == "secret_field_of":
            return self.secret_field_of(atom[1])
        if head == "serialized_by_callers":
            return self.is_serialized_by_callers(atom[1])
        if head == "versioned_entity_of":
            entity, unknown = self.entity_of(atom[1])
            if entity is None:
                return None if unknown else False
            return any(self.classes[cls].get("versioned") for cls in self._class_chain(entity))
        if head == "constant_is_secret_literal":
            found = self.literal_strings(atom[1])
            if found is None:
                return None if (self.partial and not self.is_external(atom[1])) else False
            return len(found) == 1 and bool(found[0])
        if head == "constant_has_string":
            found = self.literal_strings(atom[1])
            if found is None:
                return None if (self.partial and not self.is_external(atom[1])) else False
            return atom[2] in found
        if head == "foreign_key_of":
            return self.is_foreign_key_of(atom[1], atom[2])
        if head == "unique_class_column_of":
            kinds, unknown = self.kinds(atom[1])
            classes = sorted(k[3:] for k in kinds if k.startswith("PC:"))
            if not classes:
                return None if unknown else False
            return self.is_unique_column(classes[0], atom[2])
        if head == "unique_column_of":
            entity, unknown = self.entity_of(atom[1])
            if entity is None:
                return None if unknown else False
            return self.is_unique_column(entity, atom[2])
        if head == "indexed_column_of":
            entity, unknown = self.entity_of(atom[1])
            if entity is None:
                return None if unknown else False
            return self.is_indexed_column(entity, atom[2])
        if head == "lazy_relationship_of":
            entity, unknown = self.entity_of(atom[1])
            if entity is None:
                return None if unknown else False
            return self.is_lazy_relationship(entity, atom[2])
        if head == "unique_column":
            return self.is_unique_column(atom[1], atom[2])
        if head == "indexed_column":
            return self.is_indexed_column(atom[1], atom[2])
        if head == "lazy_relationship":
            return self.is_lazy_relationship(atom[1], atom[2])
        if head == "runtime_code":
            return self.is_runtime_code(atom[1])
        if head == "calls_into":
            return self.calls_into(atom[1], atom[2], atom[3])
        if head == "http_request_code":
            return self.is_http_request_code(atom[1])
        if head == "on_event_loop":
            return self.on_event_loop(atom[1])
        if head == "heavy_work":
            functions = [k[3:] for k in self.kinds(atom[1])[0] if k.startswith("PF:")]
            if not functions:
                return None if self.partial else False
            if self.partial:
                return True if any(self.heavy_work(f) for f in functions) else None
            return any(self.heavy_work(f) for f in functions)
        raise ValueError(f"unknown condition atom {head!r}")


_ITERABLE = frozenset({known.ROWS, known.QUERY, known.SCALAR_RESULT, known.RESULT})


def _elements(kinds: Kinds) -> Kinds:
    """What iterating over a value of these kinds gives: rows, or the entity's instances."""
    out: set[str] = set()
    for kind in kinds:
        base, _, entity = kind.partition("@")
        if base in _ITERABLE:
            out.add(known.ROW)
            if entity and base != known.RESULT:
                out.update((f"{known.ROW}@{entity}", "PI:" + entity))
    return frozenset(out)


_NUMERIC = frozenset({"builtins.int", "builtins.float", "builtins.bool"})


def _instances(kinds: Kinds) -> Kinds:
    out = set()
    for kind in kinds:
        if kind.startswith("T:"):
            out.add(kind[2:])
        elif kind.startswith("PC:"):
            out.add("PI:" + kind[3:])
    return frozenset(out)


def _types(kinds: Kinds) -> Kinds:
    return frozenset(k for k in kinds if k.startswith(("T:", "PC:")))


class MigrationHistory:
    """One Alembic history: its revisions (ids, the ids they follow, branch labels)."""

    def __init__(self, revisions: Sequence[Mapping[str, Any]]) -> None:
        self.revisions = revisions
        self.by_id: dict[str, list[Mapping[str, Any]]] = {}
        for facts in revisions:
            self.by_id.setdefault(facts["revision"], []).append(facts)
        self.labels = {label for facts in revisions for label in facts["labels"]}
        self._heads: set[str] | None = None
        self._cycle: set[str] | None = None

    def is_missing(self, named: str) -> bool:
        """`named` (a `down_revision` or `depends_on` entry) is no revision or branch label here."""
        return named not in self.by_id and named not in self.labels

    def duplicates(self) -> set[str]:
        return {rev for rev, group in self.by_id.items() if len(group) > 1}

    def _parents(self, rev: str) -> list[str]:
        return [d for facts in self.by_id.get(rev, ()) for d in facts["down"] if d in self.by_id]

    def cycle_members(self) -> set[str]:
        """Revisions on a cycle of `down_revision` links (iterative colouring DFS)."""
        if self._cycle is None:
            colour: dict[str, int] = {}
            on_cycle: set[str] = set()
            for start in self.by_id:
                if start in colour:
                    continue
                path: list[str] = []
                stack: list[tuple[str, int]] = [(start, 0)]
                while stack:
                    node, i = stack.pop()
                    if i == 0:
                        colour[node] = 1
                        path.append(node)
                    parents = self._parents(node)
                    if i < len(parents):
                        stack.append((node, i + 1))
                        nxt = parents[i]
                        if colour.get(nxt) == 1:
                            on_cycle.update(path[path.index(nxt):])
                        elif nxt not in colour:
                            stack.append((nxt, 0))
                    else:
                        colour[node] = 2
                        path.pop()
            self._cycle = on_cycle
        return self._cycle

    def extra_heads(self) -> set[str]:
        """Heads that share their branch with another head: `alembic upgrade head` stops on
        them. Heads whose ancestry carries different branch labels are separate branches on
        purpose (`alembic upgrade heads`, `upgrade mybranch@head`)."""
        if self._heads is None:
            followed = {d for facts in self.revisions for d in facts["down"]}
            heads = sorted(rev for rev in self.by_id if rev not in followed)
            branches: dict[frozenset[str], list[str]] = {}
            for head in heads:
                branches.setdefault(self._branch_labels(head), []).append(head)
            self._heads = {h for group in branches.values() if len(group) > 1 for h in group}
        return self._heads

    def _branch_labels(self, head: str) -> frozenset[str]:
        """The branch labels on `head` and its ancestors."""
        labels: set[str] = set()
        seen: set[str] = set()
        stack = [head]
        while stack:
            rev = stack.pop()
            if rev in seen:
                continue
            seen.add(rev)
            for facts in self.by_id.get(rev, ()):
                labels.update(facts["labels"])
            stack.extend(self._parents(rev))
        return frozenset(labels)
