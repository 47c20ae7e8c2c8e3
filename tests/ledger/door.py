"""The ledger has one door: only `dangol.ledger` writes the ledger's tables.

Two checks, used by tests/ledger/test_one_door.py and tests/conftest.py:

- `source_findings` reads Python source with `ast` and reports, outside `dangol.ledger`,
  SQL text that names a ledger table, `<ledger model>._meta.db_table`, ORM writes through a
  ledger model's manager (`create`, `bulk_create`, `update`, `delete`, …), new instances of
  a ledger model, and `save()`/`delete()` on what is known to be a ledger row (a name bound
  from a ledger model or a ledger function, a parameter annotated with a ledger model, or a
  relation of another model that points at one).
- `guard` is a database execute wrapper: for every INSERT, UPDATE, DELETE, COPY or
  TRUNCATE that names a ledger table it finds the innermost frame of dangol's code (the
  ledger's models count as their caller's, since `save()` runs on the caller's behalf) and
  records a violation unless that frame is in `dangol.ledger`, an admin module or a
  migration. Test code and libraries are not dangol's and may write what they like.
"""

import ast
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

LEDGER_TABLES = ("ledger_account", "ledger_transaction", "ledger_entry")
LEDGER_MODELS = {"Account", "Transaction", "Entry"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}
WRITE_METHODS = {
    "create", "bulk_create", "update", "bulk_update", "get_or_create", "update_or_create",
    "delete", "_insert", "_update",
}
INSTANCE_WRITES = {"save", "delete", "save_base"}

_TABLES = "|".join(LEDGER_TABLES)
_TABLE = re.compile(rf"\b(?:{_TABLES})\b")
_SQL_WORD = re.compile(r"\b(?:SELECT|INSERT|UPDATE|DELETE|COPY|TRUNCATE|FROM|JOIN|INTO)\b")
_WRITE_SQL = re.compile(
    rf"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?)\s+\"?({_TABLES})\"?(?!\w)",
    re.IGNORECASE,
)


def ledger_relations() -> set[str]:
    """Return the names of the relations of dangol's other models that point at a ledger row
    (e.g. `ledger_transaction` of a redemption): `obj.<name>.save()` writes the ledger."""
    from django.apps import apps

    names = set()
    for model in apps.get_models():
        if model._meta.app_label == "ledger":
            continue
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            if related is not None and related._meta.app_label == "ledger" and field.concrete:
                names.add(field.name)
    return names


class _Scanner(ast.NodeVisitor):
    def __init__(self, relations: set[str]) -> None:
        self.relations = relations
        self.models: set[str] = set()  # local names of ledger models
        self.modules: set[str] = set()  # local names of dangol.ledger.models
        self.ledger_modules: set[str] = set()  # local names of any dangol.ledger module
        self.ledger_functions: set[str] = set()  # names imported from dangol.ledger.*
        self.rows: list[set[str]] = [set()]  # per scope: names bound to ledger rows
        self.docstrings: set[int] = set()
        self.findings: list[tuple[int, str]] = []

    # --- what names mean ------------------------------------------------------------------

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            local = alias.asname or alias.name
            if module == "dangol.ledger.models" and alias.name in LEDGER_MODELS:
                self.models.add(local)
            elif module == "dangol.ledger" and alias.name == "models":
                self.modules.add(local)
                self.ledger_modules.add(local)
            elif module == "dangol.ledger":
                self.ledger_modules.add(local)
            elif module.startswith("dangol.ledger."):
                self.ledger_functions.add(local)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith("dangol.ledger") and alias.asname:
                self.ledger_modules.add(alias.asname)
                if alias.name == "dangol.ledger.models":
                    self.modules.add(alias.asname)

    def _is_model(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.models
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.value.id in self.modules and node.attr in LEDGER_MODELS
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value in LEDGER_MODELS and node.value in self.models
        return False

    def _is_ledger_function(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.ledger_functions
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.value.id in self.ledger_modules and node.value.id not in self.modules
        return False

    def _through_manager(self, node: ast.AST) -> bool:
        """Return True if the call chain ending at `node` starts at a ledger model's manager."""
        while True:
            if isinstance(node, ast.Attribute):
                if node.attr in MANAGERS and self._is_model(node.value):
                    return True
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                return False

    def _is_row(self, node: ast.AST) -> bool:
        """Return True if `node` is known to hold a ledger row (or rows)."""
        if isinstance(node, ast.Name):
            return any(node.id in scope for scope in self.rows)
        if isinstance(node, ast.Attribute):
            return node.attr in self.relations or self._is_row(node.value)
        if isinstance(node, ast.Subscript):
            return self._is_row(node.value)
        if isinstance(node, ast.Call):
            return (
                self._is_model(node.func)
                or self._is_ledger_function(node.func)
                or self._through_manager(node.func)
            )
        return False

    def _bind(self, target: ast.AST, value: ast.AST | None, annotation: ast.AST | None) -> None:
        holds = (annotation is not None and self._annotation_is_model(annotation)) or (
            value is not None and self._is_row(value)
        )
        for name in _bound_names(target):
            if holds:
                self.rows[-1].add(name)
            else:
                self.rows[-1].discard(name)

    def _annotation_is_model(self, annotation: ast.AST) -> bool:
        return any(self._is_model(node) for node in ast.walk(annotation))

    # --- scopes and bindings --------------------------------------------------------------

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._docstring(node)
        self.rows.append(set())
        for argument in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            if argument.annotation is not None and self._annotation_is_model(argument.annotation):
                self.rows[-1].add(argument.arg)
        self.generic_visit(node)
        self.rows.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._docstring(node)
        self.generic_visit(node)

    def visit_Module(self, node: ast.Module) -> None:
        self._docstring(node)
        self.generic_visit(node)

    def _docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.docstrings.add(id(body[0].value))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        for target in node.targets:
            self._bind(target, node.value, None)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        self._bind(node.target, node.value, node.annotation)

    def visit_For(self, node: ast.For) -> None:
        self._bind(node.target, node.iter, None)
        self.generic_visit(node)

    def visit_withitem(self, node: ast.withitem) -> None:
        self.generic_visit(node)
        if node.optional_vars is not None:
            self._bind(node.optional_vars, node.context_expr, None)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._bind(node.target, node.iter, None)
        self.generic_visit(node)

    # --- what is reported -----------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if self._is_model(func):
            self.findings.append((node.lineno, f"creates a ledger row: {ast.unparse(func)}(…)"))
        elif isinstance(func, ast.Attribute):
            if func.attr in WRITE_METHODS and self._through_manager(func.value):
                self.findings.append(
                    (node.lineno, f"writes through a ledger manager: .{func.attr}()")
                )
            elif func.attr in INSTANCE_WRITES and self._is_row(func.value):
                self.findings.append(
                    (node.lineno, f"writes a ledger row: {ast.unparse(func)}()")
                )
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        value = node.value
        if (
            node.attr == "db_table"
            and isinstance(value, ast.Attribute)
            and value.attr == "_meta"
            and self._is_model(value.value)
        ):
            self.findings.append((node.lineno, f"names a ledger table: {ast.unparse(node)}"))
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        text = "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
        self._sql_text(node, text)
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                self.visit(part)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.docstrings:
            self._sql_text(node, node.value)

    def _sql_text(self, node: ast.AST, text: str) -> None:
        if _TABLE.search(text) and _SQL_WORD.search(text):
            line = getattr(node, "lineno", 0)
            self.findings.append((line, f"SQL names a ledger table: {text[:80]!r}"))


def _bound_names(target: ast.AST) -> list[str]:
    """Return the names an assignment to `target` binds (not `obj.attr` nor `obj[key]`)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bound_names(element)]
    return []


def source_findings(source: str, *, relations: set[str] | None = None) -> list[tuple[int, str]]:
    """Return (line, what) for every way `source` writes or names the ledger's tables."""
    scanner = _Scanner(ledger_relations() if relations is None else relations)
    scanner.visit(ast.parse(source))
    return sorted(scanner.findings)


def tree_findings(root: Path) -> list[str]:
    """Return every finding in the Python files of the `dangol` package at `root`, except
    the ledger app's own files and migrations, as `path:line: what`."""
    relations = ledger_relations()
    findings = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] == "ledger" or "migrations" in relative.parts:
            continue
        for line, what in source_findings(path.read_text(encoding="utf-8"), relations=relations):
            findings.append(f"{relative}:{line}: {what}")
    return findings


# --- the dynamic guard ----------------------------------------------------------------------

violations: list[str] = []
_lock = threading.Lock()


def writer_module(frame: FrameType | None) -> str | None:
    """Return the module of the innermost frame of dangol's code below `frame`, skipping the
    ledger's models (their save() runs for its caller); None if no dangol code is there."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("dangol.") and name != "dangol.ledger.models":
            return str(name)
        frame = frame.f_back
    return None


def allowed(module: str | None) -> bool:
    """Return True if `module` may write the ledger's tables."""
    if module is None or module == "dangol.ledger" or module.startswith("dangol.ledger."):
        return True
    parts = module.split(".")
    return "migrations" in parts or parts[-1] == "admin"


def guard(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
    """Execute wrapper: record a violation when code outside the ledger writes its tables."""
    text = sql if isinstance(sql, str) else str(sql)
    table = _WRITE_SQL.search(text)
    if table is not None:
        module = writer_module(sys._getframe(1))
        if not allowed(module):
            statement = " ".join(text.split())[:160]
            with _lock:
                violations.append(f"{module} wrote {table.group(1)}: {statement}")
    return execute(sql, params, many, context)


def guard_connection(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """Install the guard on `connection` once (a `connection_created` receiver)."""
    if connection is not None and guard not in connection.execute_wrappers:
        connection.execute_wrappers.append(guard)


def watch() -> Iterator[None]:
    """Fixture body: clear the violations, run the test, fail it if any were recorded."""
    from django.db import connections

    for alias in connections:
        guard_connection(connection=connections[alias])
    with _lock:
        violations.clear()
    yield
    with _lock:
        found, violations[:] = list(violations), []
    if found:
        import pytest

        pytest.fail("the ledger has one door (dangol.ledger); written from outside:\n"
                    + "\n".join(found), pytrace=False)
