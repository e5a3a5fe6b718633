"""The per-file semantic model, kept up to date during the one walk of the tree.

The engine calls `enter(node)` before the rules visit a node and `leave(node)` after they leave it,
so a rule always sees the scope it is in. Expressions are described as *value descriptors*: small
JSON lists that say where a value comes from, with local names already replaced by what they were
bound to and global names by their qualified name:

    ["ref", "app.db.SessionLocal"]                     a global (module-level or third-party) name
    ["call", D, {"class_": D}]                          the result of calling D (keyword refs kept)
    ["attr", D, "name"]                                 an attribute of a value that is not a ref
    ["inst", D]                                         an instance of the type D (annotations)
    ["annot", D, [D, ...]]                              Annotated[D, ...] (only Depends metadata kept)
    ["dep", D]                                          Depends(D): what FastAPI injects
    ["param", A, D]                                     a parameter with annotation A and default D
    ["await", D], ["enter", D], ["iter", D], ["sub", D, [D, ...]], ["union", [D, ...]], ["const", v]
    None                                                unknown

The model also accumulates the file's *facts* (`summary`): module symbols, functions, classes,
`Depends` targets and route registrations, which the project index merges across files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import libcst as cst

from fastlint.analysis import known, work
from fastlint.analysis.alembic import revision_of
from fastlint.analysis.chains import calls_in, returned_values
from fastlint.analysis.names import ModuleNames, dotted, import_bindings
from fastlint.analysis.patterns import LazyInit

Desc = Any  # a JSON list, or None
MAX_UNION = 6
MAX_DEPTH = 8
MAX_LIST = 400
_ANNOTATION_MAX = 200


def ref_of(desc: Desc) -> str | None:
    return desc[1] if desc is not None and desc[0] == "ref" else None


def decorator_names(facts: dict[str, Any]) -> list[str]:
    """What a function's decorators name: the qualified name (`functools.lru_cache`, also for
    `@lru_cache(maxsize=1)`), or `.attr` for a method of an unresolved object (`@cli.command()`)."""
    out = []
    for deco in facts["decorators"]:
        target = deco[1] if deco is not None and deco[0] == "call" else deco
        if target is None:
            continue
        if target[0] == "ref":
            out.append(target[1])
        elif target[0] == "attr":
            out.append("." + target[2])
    return out


def _depth(desc: Desc) -> int:
    depth = 0
    while isinstance(desc, list) and len(desc) > 1 and isinstance(desc[1], list):
        desc = desc[1]
        depth += 1
    return depth


def union(descs: list[Desc]) -> Desc:
    out: list[Desc] = []
    for d in descs:
        if d is None:
            continue
        parts = d[1] if d[0] == "union" else [d]
        for p in parts:
            if p not in out:
                out.append(p)
    if not out:
        return None
    if len(out) == 1:
        return out[0]
    return ["union", out[:MAX_UNION]]


class Scope:
    __slots__ = (
        "kind", "qualname", "locals", "imports", "globals", "facts", "node", "in_body", "lazy", "call_sites", "self_name",
        "values",
    )

    def __init__(self, kind: str, qualname: str, node: cst.CSTNode, facts: dict[str, Any] | None = None):
        self.kind = kind  # module | class | function | lambda | comp
        self.qualname = qualname
        self.locals: dict[str, Desc] = {}
        self.imports: dict[str, str] = {}
        self.globals: set[str] = set()
        self.facts = facts
        self.node = node
        #: False while the walk is in a def's or class's header (decorators, parameters, bases),
        #: which run in the enclosing scope.
        self.in_body = kind not in ("function", "class")
        self.lazy: LazyInit | None = LazyInit() if kind == "function" else None
        #: callee key (qualname, or JSON of a method-call descriptor) -> its call nodes
        self.call_sites: dict[str, list[cst.Call]] = {}
        #: in a method: the name of its instance parameter (`self`)
        self.self_name: str | None = None
        #: name -> the expressions assigned to it so far, in walk order (`+=` gives ("+=", old, new))
        self.values: dict[str, list[Any]] = {}


class ModuleModel:
    """The semantic model of one module, built during the walk."""

    #: Tokens without which a module imports, binds, defines and calls nothing (no `import`, no
    #: `=` of any kind, no call, no `:` of a def, class, lambda, annotation or compound
    #: statement): its facts are those of an empty module, and the pre-filter need not parse it.
    TOKENS = ("import", "=", "(", ":")

    def __init__(self, module: cst.Module, module_name: str, is_package: bool) -> None:
        self.module_name = module_name
        self.package = module_name if is_package else module_name.rpartition(".")[0]
        names = ModuleNames(module, self.package)
        self.names = names
        self.scopes: list[Scope] = []
        self._skip_refs: set[int] = set()
        self.summary: dict[str, Any] = {
            "module": module_name,
            "package": is_package,
            "imports": dict(names.imports),
            "star": list(names.star_imports),
            "symbols": {},
            "functions": {},
            "classes": {},
            "depends": [],
            "registrations": [],
            # what runs when the module is imported (outside `if __name__ == "__main__":`)
            "module_calls": [],
            # lifespan / startup handlers (`lifespan=`, `on_startup=`, `add_event_handler("startup", f)`)
            "startup": [],
            # other request entry points registered by call: [kind, callee descriptor]
            "entries": [],
        }
        self.enter_handlers: dict[type, Any] = {
            cst.Module: self._enter_module,
            cst.FunctionDef: self._enter_function,
            cst.ClassDef: self._enter_class,
            cst.Lambda: self._enter_lambda,
            cst.ListComp: self._enter_comp,
            cst.SetComp: self._enter_comp,
            cst.DictComp: self._enter_comp,
            cst.GeneratorExp: self._enter_comp,
            cst.CompFor: self._enter_compfor,
            cst.For: self._enter_for,
            cst.With: self._enter_with,
            cst.Global: self._enter_global,
            cst.Import: self._enter_import,
            cst.ImportFrom: self._enter_import,
            cst.Call: self._enter_call,
            cst.Yield: self._enter_yield,
            cst.Return: self._enter_return,
            cst.Name: self._enter_name,
            cst.Subscript: self._enter_subscript,
            cst.Attribute: self._enter_attribute,
            cst.ExceptHandler: self._enter_except,
            cst.If: self._enter_if,
            cst.IfExp: self._enter_test,
            cst.While: self._enter_test,
            cst.Assign: self._enter_assign,
            cst.AnnAssign: self._enter_assign,
            cst.IndentedBlock: self._enter_block,
            cst.SimpleStatementSuite: self._enter_block,
        }
        self.leave_handlers: dict[type, Any] = {
            cst.FunctionDef: self._leave_function,
            cst.ClassDef: self._pop,
            cst.Lambda: self._pop,
            cst.ListComp: self._pop,
            cst.SetComp: self._pop,
            cst.DictComp: self._pop,
            cst.GeneratorExp: self._pop,
            cst.Assign: self._leave_assign,
            cst.AnnAssign: self._leave_annassign,
            cst.NamedExpr: self._leave_namedexpr,
            cst.AugAssign: self._leave_augassign,
            cst.IndentedBlock: self._leave_block,
        }
        self._main_bodies: set[int] = set()
        #: How many `if __name__ == "__main__":` bodies enclose the current node.
        self.main_block_depth = 0
        #: ids of the calls inside the arguments of an offloading call (`run_in_threadpool(lambda:
        #: f(x))`, `loop.run_in_executor(None, g)`): they run in another thread or process
        self.offloaded: set[int] = set()
        #: the descriptor of each call's callee, computed once when the walk enters the call:
        #: several rules ask for it at every call (see `callee`)
        self._callees: dict[int, Desc] = {}

    # -- what rules ask ------------------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        return self.current

    @property
    def function(self) -> Scope | None:
        """The innermost enclosing `def` (not a lambda or comprehension)."""
        for scope in reversed(self.scopes):
            if not scope.in_body:
                continue
            if scope.kind == "function":
                return scope
            if scope.kind in ("class", "module"):
                return None
        return None

    @property
    def defining(self) -> Scope | None:
        """In `visit_FunctionDef`/`visit_ClassDef`: the scope of the def being entered (its
        header is not its body yet, so `function` still answers the enclosing one)."""
        scope = self.scopes[-1] if self.scopes else None
        return scope if scope is not None and scope.kind in ("function", "class") else None

    @property
    def current(self) -> Scope:
        """The innermost scope whose body the walk is in (a def's header belongs to its parent)."""
        for scope in reversed(self.scopes):
            if scope.in_body:
                return scope
        return self.scopes[0]

    @property
    def at_module_level(self) -> bool:
        return all(s.kind in ("module",) for s in self.scopes)

    def function_facts(self, qualname: str) -> dict[str, Any] | None:
        return self.summary["functions"].get(qualname)

    def qualname(self, expr: cst.BaseExpression) -> str | None:
        """The qualified name `expr` refers to, if it is a global (imported or module-level) name."""
        return ref_of(self.describe(expr))

    def resolve_name(self, name: str) -> Desc:
        scopes = self.scopes
        innermost = len(scopes) - 1
        while innermost > 0 and not scopes[innermost].in_body:
            innermost -= 1
        for i in range(innermost, -1, -1):
            scope = scopes[i]
            if scope.kind == "module":
                break
            if scope.kind == "class" and i != innermost:
                continue
            if name in scope.globals:
                break
            if name in scope.locals:
                return scope.locals[name]
            if name in scope.imports:
                return ["ref", scope.imports[name]]
        return ["ref", self.global_qualname(name)]

    def global_qualname(self, name: str) -> str:
        imported = self.names.imports.get(name)
        if imported is not None:
            return imported
        if name not in self.names.defined and name in known.BUILTIN_NAMES:
            return "builtins." + name
        return f"{self.module_name}.{name}" if self.module_name else name

    def describe(self, node: cst.CSTNode | None, depth: int = 0) -> Desc:
        """A value descriptor for an expression, in the current scope."""
        if node is None or depth > MAX_DEPTH:
            return None
        # dispatch on the exact class: LibCST's node classes are ABCs, and a chain of failing
        # isinstance() checks costs an ABC check each (the model describes every call it sees)
        kind = type(node)
        if kind is cst.Name:
            if node.value in ("None", "True", "False"):
                return ["const", {"None": None, "True": True, "False": False}[node.value]]
            return self.resolve_name(node.value)
        if kind is cst.Attribute:
            base = self.describe(node.value, depth + 1)
            if base is None:
                return None
            if base[0] == "ref":
                return ["ref", f"{base[1]}.{node.attr.value}"]
            return ["attr", base, node.attr.value]
        if kind is cst.Call:
            return self._describe_call(node, depth)
        if kind is cst.Subscript:
            return self._describe_subscript(node, depth)
        if kind is cst.Await:
            inner = self.describe(node.expression, depth + 1)
            return None if inner is None else ["await", inner]
        if kind is cst.BinaryOperation and type(node.operator) is cst.BitOr:
            return self._strip_none(union([self.describe(node.left, depth + 1), self.describe(node.right, depth + 1)]))
        if kind is cst.SimpleString or kind is cst.Integer or kind is cst.Float:
            try:
                value = node.evaluated_value if kind is cst.SimpleString else node.value
            except Exception:  # noqa: BLE001 - odd literals (e.g. bytes with escapes)
                return None
            if isinstance(value, str) and len(value) <= _ANNOTATION_MAX:
                return ["const", value]
            return None
        if kind is cst.IfExp:
            return union([self.describe(node.body, depth + 1), self.describe(node.orelse, depth + 1)])
        if kind is cst.BooleanOperation:
            return union([self.describe(node.left, depth + 1), self.describe(node.right, depth + 1)])
        if kind is cst.NamedExpr:
            return self.describe(node.value, depth + 1)
        return None

    def describe_annotation(self, node: cst.BaseExpression | None) -> Desc:
        if node is None:
            return None
        if isinstance(node, cst.SimpleString):
            text = node.evaluated_value
            if not isinstance(text, str) or len(text) > _ANNOTATION_MAX:
                return None
            text = text.strip()
            if _DOTTED.match(text):  # the common case: "Session", "models.User", no parse needed
                first, _, rest = text.partition(".")
                base = self.resolve_name(first)
                if base is None or not rest:
                    return base
                return ["ref", f"{base[1]}.{rest}"] if base[0] == "ref" else ["attr", base, rest]
            parsed = _parse_annotation(text)
            if parsed is None:
                return None
            node = parsed
        return self.describe(node)

    def _describe_call(self, node: cst.Call, depth: int) -> Desc:
        func = self.describe(node.func, depth + 1)
        if func is None:
            return None
        target = ref_of(func)
        if target in known.DEPENDS:
            dep_arg = None
            for arg in node.args:
                if arg.keyword is None or arg.keyword.value == "dependency":
                    dep_arg = arg.value
                    break
            return ["dep", self.describe(dep_arg, depth + 1) if dep_arg is not None else None]
        keywords: dict[str, Desc] = {}
        for arg in node.args:
            if arg.keyword is not None and isinstance(arg.value, (cst.Name, cst.Attribute)):
                value = self.describe(arg.value, depth + 1)
                if value is not None and value[0] == "ref":
                    keywords[arg.keyword.value] = value
        # The first argument, where it names an entity or a statement (`session.query(User)`,
        # `select(User)`, `session.scalars(stmt)`): the index follows it to the mapped class.
        method = func[2] if func[0] == "attr" else func[1].rpartition(".")[2] if func[0] == "ref" else None
        if (method in _ENTITY_ARG_METHODS or target in known.ENTITY_FUNCTIONS) and node.args and node.args[0].keyword is None:
            first = self.describe(node.args[0].value, depth + 1)
            if first is not None:
                return ["call", func, keywords, first]
        return ["call", func, keywords] if keywords else ["call", func]

    def _describe_subscript(self, node: cst.Subscript, depth: int) -> Desc:
        base = self.describe(node.value, depth + 1)
        target = ref_of(base)
        items = [
            el.slice.value
            for el in node.slice
            if isinstance(el.slice, cst.Index)
        ]
        if not items:
            return None
        if target in known.ANNOTATED:
            base = self.describe_annotation(items[0])
            metas = [self.describe(m, depth + 1) for m in items[1:]]
            deps = [m for m in metas if m and m[0] == "dep"]
            if base is not None and ["dep", None] in deps:
                # `Annotated[Pagination, Depends()]`: FastAPI calls the annotated class
                deps = [["dep", base] if d == ["dep", None] else d for d in deps]
                if len(self.summary["depends"]) < MAX_LIST:
                    self.summary["depends"].append(base)
            return ["annot", base, deps]
        if target in known.OPTIONAL:
            return self.describe_annotation(items[0])
        if target in known.UNION:
            return self._strip_none(union([self.describe_annotation(i) for i in items]))
        if base is None:
            return None
        return ["sub", base, [self.describe_annotation(i) for i in items[:3]]]

    @staticmethod
    def _strip_none(desc: Desc) -> Desc:
        if desc is not None and desc[0] == "union":
            kept = [d for d in desc[1] if d != ["const", None]]
            return union(kept)
        return None if desc == ["const", None] else desc

    # -- scopes --------------------------------------------------------------------------------
    def _enter_module(self, node: cst.Module) -> None:
        self.scopes.append(Scope("module", self.module_name, node))
        #: the Alembic revision the module declares, if it is a revision file
        self.revision = revision_of(node)
        if self.revision is not None:
            self.summary["alembic"] = self.revision.facts()

    def _pop(self, node: cst.CSTNode) -> None:
        self.scopes.pop()

    def _child_qualname(self, name: str) -> str:
        scope = self.current
        if scope.kind == "function":
            return f"{scope.qualname}.<locals>.{name}"
        return f"{scope.qualname}.{name}" if scope.qualname else name

    def _bind(self, name: str, desc: Desc) -> None:
        scope = self.current
        if scope.kind == "module" or name in scope.globals:
            symbols = self.summary["symbols"]
            symbols[name] = union([symbols.get(name), desc]) if name in symbols else desc
        elif scope.kind == "class":
            facts = scope.facts
            if facts is not None:
                facts["attrs"][name] = desc
        else:
            scope.locals[name] = desc

    def _orm_attribute(self, name: str, value: cst.BaseExpression | None, annotation: cst.BaseExpression | None) -> None:
        """Record a mapped column or relationship declared in a class body."""
        scope = self.current
        if scope.kind != "class" or scope.facts is None:
            return
        facts = scope.facts
        if name == "__tablename__" and isinstance(value, cst.SimpleString):
            table = value.evaluated_value
            if isinstance(table, str):
                facts["table"] = table
            return
        if name == "__table_args__" and value is not None:
            facts["indexes"] = _table_arg_indexes(value)
            facts["unique"] = _table_arg_indexes(value, unique_only=True)
            return
        if name == "__mapper_args__" and isinstance(value, cst.Dict):
            # `{"version_id_col": version}`: optimistic locking, stale writes raise StaleDataError
            for element in value.elements:
                if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString) and element.key.evaluated_value == "version_id_col":
                    facts["versioned"] = True
            return
        kind = None
        call = value if isinstance(value, cst.Call) else None
        if call is not None:
            target = ref_of(self.describe(call.func))
            kind = known.FUNCTIONS.get(target or "")
        if kind is None and annotation is not None and (_mentions(annotation, "Mapped") or facts.get("sqlmodel_table")):
            if not _mentions(annotation, "ClassVar"):
                kind = known.COLUMN
        if kind == known.COLUMN:
            column = {"pk": False, "unique": False, "index": False, "fk": False}
            if call is not None:
                nested = [a.value for a in call.args if a.keyword is not None and a.keyword.value == "sa_column" and isinstance(a.value, cst.Call)]
                for arg in (*call.args, *(a for n in nested for a in n.args)):
                    if arg.keyword is not None and arg.keyword.value in ("primary_key", "unique", "index"):
                        column[{"primary_key": "pk"}.get(arg.keyword.value, arg.keyword.value)] = _is_true(arg.value)
                    elif arg.keyword is not None and arg.keyword.value == "foreign_key":
                        column["fk"] = True
                    elif arg.keyword is None and isinstance(arg.value, cst.Call) and _call_name(arg.value) == "ForeignKey":
                        column["fk"] = True
            facts.setdefault("columns", {})[name] = column
        elif kind == known.RELATIONSHIP:
            lazy = None
            for arg in call.args if call is not None else ():
                if arg.keyword is not None and arg.keyword.value == "lazy":
                    lazy = _lazy_value(arg.value)
                elif arg.keyword is not None and arg.keyword.value == "sa_relationship_kwargs" and isinstance(arg.value, cst.Dict):
                    for el in arg.value.elements:
                        if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) and el.key.evaluated_value == "lazy":
                            lazy = _lazy_value(el.value)
            facts.setdefault("relationships", {})[name] = {"lazy": lazy}

    def _bind_target(self, target: cst.BaseExpression, desc: Desc) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, desc)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            self._bind_instance_attribute(target.value.value, target.attr.value, desc)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self._bind_target(el.value, None)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value, None)

    def _bind_instance_attribute(self, receiver: str, attr: str, desc: Desc) -> None:
        """`self.factory = sessionmaker(...)` in a method: an attribute of the class's instances."""
        scope = self.current
        if scope.kind != "function" or scope.facts is None or desc is None:
            return
        if scope.self_name != receiver or scope.facts["class"] is None:
            return
        cls = self.summary["classes"].get(scope.facts["class"])
        if cls is None:
            return
        attrs = cls["attrs"]
        if attr in attrs:
            attrs[attr] = union([attrs[attr], desc])
        elif len(attrs) < MAX_LIST:
            attrs[attr] = desc

    def _enter_function(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        qual = self._child_qualname(name)
        owner = self.current
        if name == "__table_args__" and owner.kind == "class" and owner.facts is not None:
            # `@declared_attr` `def __table_args__(cls): return (Index(...), ...)`
            for value in returned_values(node):
                owner.facts.setdefault("indexes", []).extend(_table_arg_indexes(value))
                owner.facts.setdefault("unique", []).extend(_table_arg_indexes(value, unique_only=True))
        params: list[list[Any]] = []
        self_name: str | None = None
        p = node.params
        positional = (*p.posonly_params, *p.params)
        for i, param in enumerate((*positional, *p.kwonly_params)):
            desc = self._param_desc(param)
            if i == 0 and desc is None and owner.kind == "class" and param in positional:
                desc = self._receiver_desc(node, owner.qualname)
                if desc is not None and desc[0] == "inst":
                    self_name = param.name.value
            params.append([param.name.value, desc])
        for star in (p.star_arg, p.star_kwarg):
            if isinstance(star, cst.Param):
                params.append(["*" + star.name.value, None])
        facts: dict[str, Any] = {
            "name": name,
            "async": node.asynchronous is not None,
            "gen": False,
            "decorators": [self.describe(d.decorator) for d in node.decorators],
            "params": params,
            "returns": [],
            "yields": [],
            "returns_annotation": self.describe_annotation(node.returns.annotation) if node.returns else None,
            "calls": [],
            # names of methods called on values that are not global names (`self.alembic.stamp()`)
            "methods": [],
            # descriptors of the callee of method calls on values (`["attr", D, "name"]`)
            "method_calls": [],
            "refs": [],
            "class": owner.qualname if owner.kind == "class" else None,
            "startup": any(_is_startup_decorator(d.decorator) for d in node.decorators),
            "entry": _entry_decorator(node.decorators),
            "property": any(
                isinstance(d.decorator, (cst.Name, cst.Attribute)) and dotted(d.decorator) in ("property", "cached_property", "functools.cached_property")
                for d in node.decorators
            ),
            # parameter flow: params capped in the body (`min(limit, 100)`, `if limit > N: raise`),
            # passed on to other calls ([param, callee, position or keyword]), or used as a slice bound
            "capped": [],
            "forwards": [],
            "sliced": [],
            # parameters whose value becomes (part of) a JWT's claims in this function
            "encodes": [],
        }
        self.summary["functions"][qual] = facts
        self._bind(name, ["ref", qual])
        scope = Scope("function", qual, node, facts)
        scope.self_name = self_name
        for pname, pdesc in params:
            scope.locals[pname.lstrip("*")] = pdesc
        self.scopes.append(scope)

    def _receiver_desc(self, node: cst.FunctionDef, cls: str) -> Desc:
        """`self` is an instance of the class, `cls` the class; a staticmethod has neither."""
        for deco in node.decorators:
            name = dotted(deco.decorator) if isinstance(deco.decorator, (cst.Name, cst.Attribute)) else None
            if name in ("staticmethod", "builtins.staticmethod"):
                return None
            if name in ("classmethod", "builtins.classmethod"):
                return ["ref", cls]
        return ["inst", ["ref", cls]]

    def _param_desc(self, param: cst.Param) -> Desc:
        annotation = self.describe_annotation(param.annotation.annotation) if param.annotation else None
        default = self.describe(param.default) if param.default is not None else None
        if default == ["dep", None] and annotation is not None:
            # `Depends()` without an argument: FastAPI calls the annotated class itself
            default = ["dep", annotation]
            if len(self.summary["depends"]) < MAX_LIST:
                self.summary["depends"].append(annotation)
        if annotation is None and default is None:
            return None
        return ["param", annotation, default]

    def _enter_class(self, node: cst.ClassDef) -> None:
        qual = self._child_qualname(node.name.value)
        facts: dict[str, Any] = {
            "bases": [self.describe(b.value) for b in node.bases],
            "attrs": {},
            "decorators": [self.describe(d.decorator) for d in node.decorators],
        }
        if any(k.keyword is not None and k.keyword.value == "table" and _is_true(k.value) for k in node.keywords):
            facts["sqlmodel_table"] = True  # `class Hero(SQLModel, table=True)`: annotated fields are columns
        elif any(ref_of(b) in ("sqlmodel.SQLModel", "sqlmodel.main.SQLModel") for b in facts["bases"]):
            facts["sqlmodel_table"] = True  # `class HeroBase(SQLModel)`: its fields become a table's columns
        self.summary["classes"][qual] = facts
        self._bind(node.name.value, ["ref", qual])
        self.scopes.append(Scope("class", qual, node, facts))

    def _enter_lambda(self, node: cst.Lambda) -> None:
        scope = Scope("lambda", self.current.qualname + ".<lambda>", node)
        p = node.params
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            scope.locals[param.name.value] = None
        self.scopes.append(scope)

    def _enter_comp(self, node: cst.BaseComp) -> None:
        self.scopes.append(Scope("comp", self.current.qualname, node))
        # The element is walked before the `for` clauses: bind their targets first.
        comp = node.for_in
        while comp is not None:
            self._enter_compfor(comp)
            comp = comp.inner_for_in

    def _enter_compfor(self, node: cst.CompFor) -> None:
        self._bind_target(node.target, None)
        if isinstance(node.target, cst.Name):
            self._bind(node.target.value, self._iter_desc(node.iter))

    def _iter_desc(self, node: cst.BaseExpression) -> Desc:
        inner = self.describe(node)
        return None if inner is None else ["iter", inner]

    def _enter_for(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):
            self._bind(node.target.value, self._iter_desc(node.iter))
        else:
            self._bind_target(node.target, None)

    def _enter_with(self, node: cst.With) -> None:
        facts = self._function_facts()
        if facts is not None and any(_takes_lock(item.item) for item in node.items):
            facts["locks"] = True  # `async with lock:`, `with redis.lock(key):`
        for item in node.items:
            if item.asname is not None:
                inner = self.describe(item.item)
                desc = None if inner is None else ["enter", inner]
                if isinstance(item.asname.name, cst.Name):
                    self._bind(item.asname.name.value, desc)
                else:
                    self._bind_target(item.asname.name, None)  # type: ignore[arg-type]

    def _enter_except(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self._bind(node.name.name.value, None)

    def _enter_global(self, node: cst.Global) -> None:
        for item in node.names:
            self.current.globals.add(item.name.value)

    def _enter_import(self, node: cst.Import | cst.ImportFrom) -> None:
        scope = self.current
        if scope.kind == "module":
            return  # read before the walk (ModuleNames)
        for local, qual in import_bindings(node, self.package):
            if local != "*":
                scope.imports[local] = qual

    def _enter_if(self, node: cst.If) -> None:
        if self.current.kind == "module" and is_main_guard(node.test):
            self._main_bodies.add(id(node.body))
        self._enter_test(node)
        facts = self._function_facts()
        if facts is not None:
            capped = _guarded_by_raise(node, self._params_of(facts))
            if capped is not None and capped not in facts["capped"]:
                facts["capped"].append(capped)

    def _enter_test(self, node: cst.If | cst.IfExp | cst.While) -> None:
        scope = self.current
        if scope.lazy is not None:
            scope.lazy.test(node.test)

    def _enter_assign(self, node: cst.Assign | cst.AnnAssign) -> None:
        scope = self.current
        if scope.lazy is None or node.value is None:
            return
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        for target in targets:
            scope.lazy.assign(target, node.value, scope.globals)

    def _leave_function(self, node: cst.FunctionDef) -> None:
        scope = self.scopes.pop()
        facts, lazy = scope.facts, scope.lazy
        if facts is None or lazy is None or not lazy.stores:
            return
        # Callees reached only through a lazily-initialised cache run once, not per call.
        once = [key for key, calls in scope.call_sites.items() if calls and all(lazy.is_cached(c) for c in calls)]
        if once:
            facts["once"] = once

    def _enter_block(self, node: cst.BaseSuite) -> None:
        scope = self.scopes[-1]
        if not scope.in_body and scope.node.body is node:  # type: ignore[attr-defined]
            scope.in_body = True
        if id(node) in self._main_bodies:
            self.main_block_depth += 1

    def _leave_block(self, node: cst.IndentedBlock) -> None:
        if id(node) in self._main_bodies:
            self.main_block_depth -= 1

    # -- assignments ---------------------------------------------------------------------------
    def _leave_assign(self, node: cst.Assign) -> None:
        desc = self.describe(node.value)
        for target in node.targets:
            self._bind_target(target.target, desc)
            if isinstance(target.target, (cst.Tuple, cst.List)) and isinstance(node.value, cst.Call):
                for el in target.target.elements:
                    if isinstance(el.value, cst.Name):
                        self._bind_value(el.value.value, node.value)  # "comes from this call"
            if isinstance(target.target, cst.Name):
                self._bind_value(target.target.value, node.value)
                if self.current.kind == "class":
                    self._orm_attribute(target.target.value, node.value, None)
                    self._class_literal(target.target.value, node.value)
                elif self.current.kind == "module":
                    self._module_literal(target.target.value, node.value)

    def _module_literal(self, name: str, value: cst.BaseExpression) -> None:
        """Strings a module constant holds, for rules that read settings defined elsewhere:
        `ORIGINS = ["*"]`, `ORIGINS = os.environ.get("ORIGINS", "*").split(",")` (the default)."""
        strings = _literal_strings(value)
        if strings is not None:
            literals = self.summary.setdefault("literals", {})
            if len(literals) < MAX_LIST:
                literals[name] = strings

    def _class_literal(self, name: str, value: cst.BaseExpression) -> None:
        """The same for a field of a module-level class (a pydantic-settings `Settings`):
        `cors_origins: list[str] = ["*"]` is kept as `Settings.cors_origins`."""
        prefix = self.module_name + "."
        qualname = self.current.qualname
        if qualname.startswith(prefix) and "." not in qualname[len(prefix):]:
            self._module_literal(f"{qualname[len(prefix):]}.{name}", value)

    def _leave_augassign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and isinstance(node.operator, cst.AddAssign):
            name = node.target.value
            previous = self.value_of(name)
            if previous is None:
                self._bind_value(name, None)
            else:
                self.current.values[name] = [("+=", previous, node.value)]

    def _bind_value(self, name: str, value: Any) -> None:
        scope = self.current
        if name in scope.globals:
            scope = self.scopes[0]
        if value is None:
            scope.values.pop(name, None)
        else:
            history = scope.values.setdefault(name, [])
            if len(history) < 16:
                history.append(value)
            else:
                history[-1] = value

    def values_of(self, name: str) -> list[Any]:
        """Every expression bound to `name` so far in the innermost scope that binds it (nodes,
        or ("+=", old, new) for `name += new`), in walk order; [] if it is bound otherwise."""
        scopes = self.scopes
        for i in range(len(scopes) - 1, -1, -1):
            scope = scopes[i]
            if not scope.in_body and i:
                continue
            if name in scope.values:
                return scope.values[name]
            if name in scope.locals or name in scope.imports:
                return []  # bound to something else (a parameter, an import, a loop target)
        later = self.names.values.get(name)  # a module constant defined below its use
        return [later] if later is not None else []

    def value_of(self, name: str) -> Any:
        """The expression last bound to `name` (see `values_of`), or None."""
        values = self.values_of(name)
        return values[-1] if values else None

    def _leave_annassign(self, node: cst.AnnAssign) -> None:
        if self.current.kind == "class" and isinstance(node.target, cst.Name):
            self._orm_attribute(node.target.value, node.value, node.annotation.annotation)
            if node.value is not None:
                self._class_literal(node.target.value, node.value)
        if node.value is not None:
            desc = self.describe(node.value)
            if isinstance(node.target, cst.Name):
                self._bind_value(node.target.value, node.value)
            if desc is None:
                annotation = self.describe_annotation(node.annotation.annotation)
                desc = None if annotation is None else ["inst", annotation]
        else:
            annotation = self.describe_annotation(node.annotation.annotation)
            desc = None if annotation is None else ["inst", annotation]
        self._bind_target(node.target, desc)

    def _leave_namedexpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, self.describe(node.value))

    # -- facts ---------------------------------------------------------------------------------
    def callee(self, node: cst.Call) -> Desc:
        """`describe(node.func)`, computed once per call (rules visit a call after the model
        entered it, in the same scope)."""
        key = id(node)
        if key in self._callees:
            return self._callees[key]
        desc = self._callees[key] = self.describe(node.func)
        return desc

    def _enter_call(self, node: cst.Call) -> None:
        func = self._callees[id(node)] = self.describe(node.func)
        if _takes_lock(node.func):
            facts = self._function_facts()
            if facts is not None:
                facts["locks"] = True  # `await acquire_lock(key)`, `pg_advisory_xact_lock`
        target = ref_of(func)
        if node.args and (target in work.OFFLOAD_FUNCTIONS or (isinstance(node.func, cst.Attribute) and node.func.attr.value in work.OFFLOAD_METHODS)):
            # arguments are evaluated here; only a lambda's body runs in the other thread
            self.offloaded.update(id(c) for a in node.args if isinstance(a.value, cst.Lambda) for c in calls_in(a.value.body))
        if id(node) in self.offloaded:
            return  # not a call this function makes on its own thread
        if target in known.DEPENDS:
            dep = self.describe(node)
            if dep is not None and dep[1] is not None and len(self.summary["depends"]) < MAX_LIST:
                self.summary["depends"].append(dep[1])
            return
        facts = self._function_facts()
        if target is not None:
            if facts is not None:
                calls = facts["calls"]
            elif self.main_block_depth == 0 and self.current.kind in ("module", "class"):
                calls = self.summary["module_calls"]
            else:
                calls = None
            if calls is not None and len(calls) < MAX_LIST and target not in calls:
                calls.append(target)
            if facts is not None:
                self._function_scope().call_sites.setdefault(target, []).append(node)
        elif facts is not None and isinstance(node.func, cst.Attribute):
            methods = facts["methods"]
            name = node.func.attr.value
            if len(methods) < MAX_LIST and name not in methods:
                methods.append(name)
            # `Service().run()`, `self.helper()`, `repo.get()`: resolved by the index when it can
            if func is not None and len(facts["method_calls"]) < MAX_LIST and func not in facts["method_calls"]:
                facts["method_calls"].append(func)
            if func is not None:
                self._function_scope().call_sites.setdefault(_desc_key(func), []).append(node)
        if facts is not None:
            self._parameter_flow(node, func, facts)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in ("lifespan", "on_startup"):
                values = [e.value for e in arg.value.elements] if isinstance(arg.value, (cst.List, cst.Tuple)) else [arg.value]
                self.summary["startup"].extend(self.describe(v) for v in values)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if method == "add_event_handler" and len(node.args) >= 2 and _is_string(node.args[0].value, "startup"):
            self.summary["startup"].append(self.describe(node.args[1].value))
        elif method == "add_exception_handler" and len(node.args) >= 2:
            self.summary["entries"].append(["exception_handler", self.describe(node.args[1].value)])
        elif method == "add_middleware" and node.args and node.args[0].keyword is None:
            self.summary["entries"].append(["middleware", self.describe(node.args[0].value)])
        elif target in _INDEX_CLASSES and facts is None and len(node.args) > 1:
            # `Index("ix_posts_slug", Post.slug)` next to the model
            owners = [self.describe(a.value.value) for a in node.args[1:] if isinstance(a.value, cst.Attribute)]
            columns = [a.value.attr.value for a in node.args[1:] if isinstance(a.value, cst.Attribute)]
            if owners and owners[0] is not None and owners[0][0] == "ref":
                self.summary.setdefault("indexes", []).append([owners[0][1], columns])
        elif method in ("create_index", "create_unique_constraint") and target is not None and target.startswith("alembic.op"):
            index = _alembic_index(node)
            if index is not None:
                self.summary.setdefault("alembic_indexes", []).append(index)
        elif method == "create_table" and target is not None and target.startswith("alembic.op"):
            self.summary.setdefault("alembic_indexes", []).extend(_alembic_table_indexes(node))
        if method in known.ROUTE_REGISTRATIONS and isinstance(node.func, cst.Attribute):
            endpoint = _argument(node, known.ROUTE_REGISTRATIONS[method], "endpoint")
            if endpoint is not None:
                receiver = self.describe(node.func.value)
                self.summary["registrations"].append([method, receiver, self.describe(endpoint)])

    def _params_of(self, facts: dict[str, Any]) -> set[str]:
        return {name for name, _ in facts["params"]}

    def _parameter_flow(self, node: cst.Call, func: Desc, facts: dict[str, Any]) -> None:
        params = self._params_of(facts)
        name = node.func.value if isinstance(node.func, cst.Name) else None
        if name == "min":
            for arg in node.args:
                for inner in _names_in(arg.value):
                    if inner in params and inner not in facts["capped"]:
                        facts["capped"].append(inner)
            return
        target = ref_of(func)
        if target in work.JWT_ENCODERS:
            payload = _argument(node, *work.JWT_ENCODERS[target])
            if payload is not None:
                for name in self._payload_names(payload, 0):
                    if name in params and name not in facts["encodes"]:
                        facts["encodes"].append(name)
        if func is None or len(facts["forwards"]) >= 50:
            return
        for position, arg in enumerate(node.args):
            if isinstance(arg.value, cst.Name) and arg.value.value in params and not arg.star:
                where = arg.keyword.value if arg.keyword is not None else position
                facts["forwards"].append([arg.value.value, func, where])

    def _payload_names(self, expr: cst.BaseExpression, depth: int) -> set[str]:
        """Names whose value the claims are made of: `payload`, `data.copy()`, `dict(data)`,
        `{**data, "exp": e}`, through local variables."""
        out: set[str] = set()
        if depth > 4:
            return out
        if isinstance(expr, cst.Name):
            out.add(expr.value)
            for value in self.values_of(expr.value):
                if isinstance(value, cst.BaseExpression):
                    out |= self._payload_names(value, depth + 1)
        elif isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("copy", "model_dump", "dict"):
                out |= self._payload_names(func.value, depth + 1)
            elif isinstance(func, cst.Name) and func.value == "dict" and expr.args:
                out |= self._payload_names(expr.args[0].value, depth + 1)
        elif isinstance(expr, cst.Dict):
            for element in expr.elements:
                if isinstance(element, cst.StarredDictElement):
                    out |= self._payload_names(element.value, depth + 1)
        return out

    def _function_scope(self) -> Scope:
        for scope in reversed(self.scopes):
            if scope.in_body and scope.kind == "function":
                return scope
        raise LookupError("not in a function")

    def _function_facts(self) -> dict[str, Any] | None:
        for scope in reversed(self.scopes):
            if not scope.in_body:
                continue
            if scope.kind == "function":
                return scope.facts
            if scope.kind in ("class", "module"):
                return None
        return None

    def _enter_yield(self, node: cst.Yield) -> None:
        facts = self._function_facts()
        if facts is None:
            return
        facts["gen"] = True
        if isinstance(node.value, cst.From):
            return
        if len(facts["yields"]) < 20:
            facts["yields"].append(self.describe(node.value))

    def _enter_return(self, node: cst.Return) -> None:
        facts = self._function_facts()
        if facts is not None and node.value is not None and len(facts["returns"]) < 20:
            facts["returns"].append(self.describe(node.value))

    def _enter_subscript(self, node: cst.Subscript) -> None:
        facts = self._function_facts()
        if facts is None:
            return
        params = self._params_of(facts)
        for element in node.slice:
            if isinstance(element.slice, cst.Slice):
                for bound in (element.slice.lower, element.slice.upper):
                    for name in _names_in(bound) if bound is not None else ():
                        if name in params and name not in facts["sliced"]:
                            facts["sliced"].append(name)

    def _enter_name(self, node: cst.Name) -> None:
        if id(node) in self._skip_refs:
            return
        facts = self._function_facts()
        if facts is None:
            return
        desc = self.resolve_name(node.value)
        if desc is not None and desc[0] == "ref" and not desc[1].startswith("builtins."):
            self._add_ref(facts, desc[1])

    def _enter_attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._skip_refs:
            return
        facts = self._function_facts()
        if facts is None:
            return
        inner: cst.BaseExpression = node.value
        while isinstance(inner, cst.Attribute):
            self._skip_refs.add(id(inner))
            inner = inner.value
        if isinstance(inner, cst.Name):
            self._skip_refs.add(id(inner))
        desc = self.describe(node)
        if desc is not None and desc[0] == "ref" and not desc[1].startswith("builtins."):
            self._add_ref(facts, desc[1])

    @staticmethod
    def _add_ref(facts: dict[str, Any], qual: str) -> None:
        refs = facts["refs"]
        if len(refs) < MAX_LIST and qual not in refs:
            refs.append(qual)


_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")


@functools.lru_cache(maxsize=4096)
def _parse_annotation(text: str) -> cst.BaseExpression | None:
    """A string annotation as an expression (cached: the same annotations recur across files)."""
    try:
        return cst.parse_expression(text)
    except Exception:  # noqa: BLE001 - a string annotation that is not an expression
        return None


_ENTITY_ARG_METHODS = known.ENTITY_METHODS | known.STATEMENT_METHODS


def _call_name(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _mentions(annotation: cst.BaseExpression, name: str) -> bool:
    """The annotation names `name` (`Mapped[int]`, `orm.Mapped[int]`, `"Mapped[int]"`)."""
    if isinstance(annotation, cst.SimpleString):
        text = annotation.evaluated_value
        return isinstance(text, str) and re.search(rf"\b{name}\[", text) is not None
    if isinstance(annotation, cst.Subscript):
        return _mentions(annotation.value, name)
    if isinstance(annotation, cst.Name):
        return annotation.value == name
    if isinstance(annotation, cst.Attribute):
        return annotation.attr.value == name
    return False


def _literal_strings(value: cst.BaseExpression) -> list[str] | None:
    """The strings of a literal (a string, a list/tuple/set of strings), or of the literal
    default of `os.environ.get(...)` / `os.getenv(...)` (also `.split(...)` of one)."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in ("split", "strip"):
        value = value.func.value
    if isinstance(value, cst.Call) and isinstance(value.func, (cst.Attribute, cst.Name)):
        name = dotted(value.func) or ""
        if name.rsplit(".", 1)[-1] in ("getenv", "get") and ("environ" in name or name.endswith("getenv")) and len(value.args) >= 2:
            value = value.args[1].value
        elif name.rsplit(".", 1)[-1] == "Field":  # pydantic `Field(default=[...])` / `Field([...])`
            default = next((a.value for a in value.args if (a.keyword is None and not a.star) or (a.keyword is not None and a.keyword.value == "default")), None)
            if default is None:
                return None
            value = default
        else:
            return None
    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
        return [value.evaluated_value]
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)) and value.elements:
        out = []
        for element in value.elements:
            if not (isinstance(element.value, cst.SimpleString) and isinstance(element.value.evaluated_value, str)):
                return None
            out.append(element.value.evaluated_value)
        return out[:20]
    return None


def _table_arg_indexes(value: cst.BaseExpression, unique_only: bool = False) -> list[list[str]]:
    """Column lists of `Index(...)`, `UniqueConstraint(...)` and `PrimaryKeyConstraint(...)` in
    `__table_args__` or `op.create_table(...)` (column names as strings, or `Model.col` / `col`
    references). With `unique_only`, only unique ones (`Index(..., unique=True)` included)."""
    out: list[list[str]] = []
    elements = value.elements if isinstance(value, (cst.Tuple, cst.List)) else [value]
    for el in elements:
        item = getattr(el, "value", el)
        while isinstance(item, cst.Call) and isinstance(item.func, cst.Attribute) and isinstance(item.func.value, cst.Call):
            item = item.func.value  # `Index(...).ddl_if(dialect="postgresql")`
        if not isinstance(item, cst.Call) or _call_name(item) not in ("Index", "UniqueConstraint", "PrimaryKeyConstraint"):
            continue
        if unique_only and _call_name(item) == "Index" and not any(
            a.keyword is not None and a.keyword.value == "unique" and _is_true(a.value) for a in item.args
        ):
            continue
        args = [a.value for a in item.args if a.keyword is None]
        if _call_name(item) == "Index":
            args = args[1:]  # the first argument is the index's name
        columns = []
        for a in args:
            if isinstance(a, cst.SimpleString) and isinstance(a.evaluated_value, str):
                columns.append(a.evaluated_value)
            elif isinstance(a, cst.Attribute):
                columns.append(a.attr.value)
            elif isinstance(a, cst.Name):
                columns.append(a.value)
            elif isinstance(a, cst.Call) and isinstance(a.func, cst.Attribute):  # Model.col.desc()
                inner = a.func.value
                if isinstance(inner, cst.Attribute):
                    columns.append(inner.attr.value)
        if columns:
            out.append(columns)
    return out


_INDEX_CLASSES = frozenset({"sqlalchemy.Index", "sqlalchemy.schema.Index", "sqlalchemy.sql.schema.Index"})


def _lazy_value(node: cst.BaseExpression) -> str | None:
    """`lazy=` as a loading strategy: the legacy spellings `True`/`False`/`None` mean
    "select"/"joined"/"noload"."""
    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
        return node.evaluated_value
    if isinstance(node, cst.Name):
        return {"True": "select", "False": "joined", "None": "noload"}.get(node.value)
    return "unknown"


def _alembic_table_indexes(call: cst.Call) -> list[list[Any]]:
    """Indexes `op.create_table("t", sa.Column("c", index=True), sa.UniqueConstraint("a", "b"))`
    creates: [table, [columns]] for each (primary keys and unique columns included)."""
    args = [a.value for a in call.args if a.keyword is None]
    if not args or not isinstance(args[0], cst.SimpleString) or not isinstance(args[0].evaluated_value, str):
        return []
    table = args[0].evaluated_value
    out: list[list[Any]] = []
    for value in args[1:]:
        if not isinstance(value, cst.Call):
            continue
        if _call_name(value) == "Column" and value.args and isinstance(value.args[0].value, cst.SimpleString):
            flags = {a.keyword.value for a in value.args if a.keyword is not None and _is_true(a.value)}
            if flags & {"index", "unique", "primary_key"}:
                out.append([table, [value.args[0].value.evaluated_value]])
        else:
            out += [[table, cols] for cols in _table_arg_indexes(cst.Tuple([cst.Element(value)]))]
    return out


def _alembic_index(call: cst.Call) -> list[Any] | None:
    """`op.create_index("ix", "users", ["email"])` -> ["users", ["email"]]."""
    args = [a.value for a in call.args if a.keyword is None]
    kwargs = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    table = kwargs.get("table_name", kwargs.get("source", args[1] if len(args) > 1 else None))
    columns = kwargs.get("columns", kwargs.get("local_cols", args[2] if len(args) > 2 else None))
    if not isinstance(table, cst.SimpleString) or not isinstance(columns, (cst.List, cst.Tuple)):
        return None
    names = [e.value.evaluated_value for e in columns.elements if isinstance(e.value, cst.SimpleString)]
    return [table.evaluated_value, [n for n in names if isinstance(n, str)]]


def _desc_key(desc: Desc) -> str:
    return repr(desc)  # the same key as the index's memo (`index._key`)


def _names_in(expr: cst.BaseExpression) -> list[str]:
    """Plain names in an expression (through calls, arithmetic and unary minus)."""
    out: list[str] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            out.append(node.value)
        elif isinstance(node, cst.Call):
            stack.extend(a.value for a in node.args)
        elif isinstance(node, cst.BinaryOperation):
            stack.extend((node.left, node.right))
        elif isinstance(node, cst.UnaryOperation):
            stack.append(node.expression)
    return out


def _guarded_by_raise(node: cst.If, params: set[str]) -> str | None:
    """`if limit > MAX: raise ...` (or `MAX < limit`): the parameter is capped."""
    test = node.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    op = test.comparisons[0].operator
    left, right = test.left, test.comparisons[0].comparator
    name = None
    if isinstance(op, (cst.GreaterThan, cst.GreaterThanEqual)) and isinstance(left, cst.Name):
        name = left.value
    elif isinstance(op, (cst.LessThan, cst.LessThanEqual)) and isinstance(right, cst.Name):
        name = right.value
    if name not in params:
        return None
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    raises = any(
        isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, cst.Raise) for s in stmt.body) for stmt in body
    )
    return name if raises else None


def _takes_lock(expr: cst.BaseExpression) -> bool:
    """`lock`, `self._lock`, `acquire_session_lock(...)`, `redis.lock(...)`,
    `pg_advisory_xact_lock`: an expression that names a lock being taken."""
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        last = expr.attr.value.lower()
    elif isinstance(expr, cst.Name):
        last = expr.value.lower()
    else:
        return False
    return "advisory" in last or (last.endswith("lock") and not last.endswith("unlock"))


def _is_string(node: cst.BaseExpression, value: str) -> bool:
    return isinstance(node, cst.SimpleString) and node.evaluated_value == value


def _is_startup_decorator(deco: cst.BaseExpression) -> bool:
    """`@app.on_event("startup")` (FastAPI/Starlette's start-up hook)."""
    return (
        isinstance(deco, cst.Call)
        and isinstance(deco.func, cst.Attribute)
        and deco.func.attr.value == "on_event"
        and bool(deco.args)
        and _is_string(deco.args[0].value, "startup")
    )


def _entry_decorator(decorators: Sequence[cst.Decorator]) -> str | None:
    """`@app.middleware("http")` and `@app.exception_handler(...)` make request code."""
    for deco in decorators:
        d = deco.decorator
        if isinstance(d, cst.Call) and isinstance(d.func, cst.Attribute):
            if d.func.attr.value == "middleware" and d.args and _is_string(d.args[0].value, "http"):
                return "middleware"
            if d.func.attr.value == "exception_handler" and d.args:
                return "exception_handler"
    return None


def is_main_guard(test: cst.BaseExpression) -> bool:
    """`__name__ == "__main__"` (either way round)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = [test.left, target.comparator]
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [s for s in sides if isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__"]
    return len(names) == 1 and len(strings) == 1


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument at `position` or given as `keyword=`, if present."""
    index = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
            continue
        if arg.star:
            return None
        if index == position:
            return arg.value
        index += 1
    return None


def argument(call: cst.Call, position: int | None, keyword: str) -> cst.BaseExpression | None:
    """Public form of `_argument`; `position=None` looks only for the keyword."""
    if position is None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == keyword:
                return arg.value
        return None
    return _argument(call, position, keyword)


__all__ = ["Desc", "ModuleModel", "Scope", "argument", "dotted", "ref_of", "union"]
