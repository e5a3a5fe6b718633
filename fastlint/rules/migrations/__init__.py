"""Transactions and migrations: Alembic histories, schema changes at runtime."""
