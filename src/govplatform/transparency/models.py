"""The transparency log's tables: pending entries, the integrated log, its tiles and checkpoints.

Writers add a `PendingEntry` in their own transaction (cheap, no contention).
One sequencer at a time moves pending entries into the log: it assigns
indexes, appends leaf hashes to tiles and entries to bundles, and signs a
checkpoint, all in one transaction. So an index, once assigned, is committed
together with the tiles and the checkpoint that cover it, and a crash in
between leaves the entries pending, never half-integrated.

Tiles are stored one row per (level, index) at their current width; a partial
tile of any smaller width is a prefix of it (complete subtree hashes never
change), so every tile path that a past checkpoint needs can be served.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govplatform.core.interfaces import Base, utcnow

_BigId = BigInteger().with_variant(Integer, "sqlite")


class PendingEntry(Base):
    __tablename__ = "transparency_pending"
    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LogEntry(Base):
    """An integrated entry: its index never changes. `subject` lets a citizen find their own."""

    __tablename__ = "transparency_entries"
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    integrated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # RFC 9162 leaf hash, to find an entry from what a receipt's holder was given (an exchange answer's)
    leaf_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)


class TileRow(Base):
    __tablename__ = "transparency_tiles"
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class BundleRow(Base):
    __tablename__ = "transparency_bundles"
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class TreeHead(Base):
    """The one row that says how big the log is; the sequencer locks it while it works."""

    __tablename__ = "transparency_tree"
    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CheckpointRow(Base):
    """Every published checkpoint. The primary key on size means one tree per size, ever."""

    __tablename__ = "transparency_checkpoints"
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    signed_note: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
