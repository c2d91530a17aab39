"""Alembic environment: uses the connection the Store passes, else ``-x url=`` or
``COAUTHOR_DATABASE_URL`` when run from the ``alembic`` command line."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from coauthor.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "COAUTHOR_DATABASE_URL"
    )
    if not url:
        raise RuntimeError("pass -x url=... or set COAUTHOR_DATABASE_URL")
    return url


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    with sa.create_engine(_url()).connect() as connection:
        _run(connection)
