"""Queries whose SQL the ORM builds once per database connection, run again with new values.

Building a query through the ORM costs Django several times what running it costs: the
check-in's baseline window (two subqueries) takes 1.4 ms of CPU to build and 0.1 ms to
run, and a simple filter 0.3 ms against 0.06 (issue 21). A Prepared holds a function that
builds the queryset from its arguments; the first use on a connection builds it once
with stand-in values (marks: values no query is ever about), compiles it, and notes where
each mark went among the SQL's parameters. Every use then sends that SQL with the real
values in those places, and turns the rows into Python values with the compiler's own
converters, as the ORM would. tests/test_prepared.py compares the rows with the ORM's.

Only for querysets of values_list(): rows come back as tuples. An argument may not be
None (`= NULL` is not `IS NULL`): where None changes the query, use a Prepared for each case.
Prepared here means built ahead by Django, not a server-side prepared statement: the SQL
goes through Django's own cursor, which binds the values on the client as for any other
query, so PgBouncer in transaction mode sees nothing new (README, "Scaling").
"""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from django.db import connection as default_connection
from django.db import connections
from django.db.models.expressions import RawSQL

# Marks stand for the arguments while the SQL is built, one per argument and kind. A
# list is a list of ints sent as one parameter (see ids_in()).
KINDS = (int, datetime, date, uuid.UUID, list)

# A list of ids as one parameter, so that the SQL is the same text for any number.
IDS = {
    "postgresql": "SELECT unnest(%s::bigint[])",
    "sqlite": "SELECT value FROM json_each(%s)",
}


def ids_in(ids):
    """For filter(pk__in=...): the ids of a list argument, read from its one parameter."""
    return RawSQL(IDS[default_connection.vendor], [ids])


def mark(kind, number):
    """The stand-in for argument `number` of this kind."""
    if kind is int:
        return -7_300_000_000_000_000 - number
    if kind is datetime:
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(days=number)
    if kind is date:
        return date(1901, 1, 1) + timedelta(days=number)
    if kind is uuid.UUID:
        return uuid.UUID(int=(0x7EA1 << 112) + number)
    if kind is list:
        return [-7_300_000_000_000_000 - number]
    raise TypeError(f"no mark for {kind!r}: one of {KINDS}")


def adapted(connection, kind, value):
    """A value as the compiler passes it to the database driver."""
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value(value)
    if kind is date:
        return connection.ops.adapt_datefield_value(value)
    if kind is uuid.UUID and not connection.features.has_native_uuid_field:
        return value.hex  # as UUIDField stores it
    if kind is list:
        ids = [int(pk) for pk in value]
        return ids if connection.vendor == "postgresql" else json.dumps(ids)  # IDS
    return value


class Prepared:
    """build(*args) -> a values_list() queryset; kinds: the type of each argument."""

    def __init__(self, build, *kinds):
        self.build, self.kinds = build, kinds

    def rows(self, *args):
        """The rows of build(*args), as tuples, from the SQL built on this connection."""
        if len(args) != len(self.kinds) or any(arg is None for arg in args):
            raise ValueError(f"expected {len(self.kinds)} values, none of them None: {args!r}")
        return self.statement(default_connection).run(args)

    def names(self):
        """The rows' column names, in order."""
        return self.statement(default_connection).names

    def first(self, *args):
        rows = self.rows(*args)
        return rows[0] if rows else None

    def statement(self, connection):
        """This thread's statement for the connection, built on first use."""
        wrapper = connections[connection.alias]  # not the proxy: this thread's own
        built = wrapper.__dict__.setdefault("_tracker_prepared", {})
        statement = built.get(self)
        if statement is None:
            statement = built[self] = Statement(wrapper, self.build, self.kinds)
        return statement


class Statement:
    """A Prepared's SQL on one connection, where each argument goes among its parameters."""

    def __init__(self, connection, build, kinds):
        self.connection, self.kinds = connection, kinds
        marks = [mark(kind, number) for number, kind in enumerate(kinds)]
        compiler = build(*marks).query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        # A RawSQL parameter (ids_in) is passed as it is, not adapted by a field.
        marked = [
            m if kind is list else adapted(connection, kind, m)
            for kind, m in zip(kinds, marks, strict=True)
        ]
        # For each parameter, the argument it stands for, or None for a constant.
        self.slots = [next((i for i, m in enumerate(marked) if p == m), None) for p in params]
        self.constants = params
        missing = set(range(len(kinds))) - set(self.slots)
        if missing:
            raise ValueError(f"arguments {sorted(missing)} are not parameters of: {self.sql}")
        self.compiler = compiler
        self.converters = compiler.get_converters([col for col, _, _ in compiler.select])
        query = compiler.query
        self.names = [*query.extra_select, *query.values_select, *query.annotation_select]

    def run(self, args):
        values = [
            adapted(self.connection, kind, arg) for kind, arg in zip(self.kinds, args, strict=True)
        ]
        params = [
            constant if slot is None else values[slot]
            for slot, constant in zip(self.slots, self.constants, strict=True)
        ]
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return [tuple(row) for row in rows]
