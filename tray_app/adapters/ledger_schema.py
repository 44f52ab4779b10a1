"""The ledger's tables as peewee models, bound per database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import peewee as pw


# Every table's declared columns, as the models below declare them (a test keeps the two
# equal): opening a ledger creates what is missing and probes these columns without
# building the model classes or importing peewee (adapters/ledger_db.py).
TABLES: dict[str, tuple[str, ...]] = {
    "responses": ("key", "ts", "session_id", "model", "input", "output", "cache_5m",
                  "cache_1h", "cache_read", "web_search", "speed", "geo", "cost_usd",
                  "sidechain", "message_id", "request_id"),
    "files": ("path", "device", "inode", "size", "offset", "lines", "mtime_ns"),
    "sessions": ("session_id", "name", "tags", "description", "project_path"),
    "resets": ("ts", "resets_at"),
    "alerts": ("block_start", "kind", "fired_at"),
    "meta": ("key", "value"),
    "block_cache": ("start", "end", "first", "last", "official", "input", "output",
                    "cache_creation", "cache_read", "cost_usd", "responses"),
    "model_history": ("id", "ts", "kind", "old", "new", "reason", "until", "source"),
    "response_roots": ("root", "key"),
}  # fmt: skip


def models_for(db: pw.Database) -> dict[str, Any]:
    """Model classes bound to one database (two ledgers may be open during recovery)."""
    # Made once per database: opening a ledger asked three times, and peewee's model
    # classes cost ~1 ms each to build (a third of a report's ledger open).
    made: dict[str, Any] | None = getattr(db, "_ledger_models", None)
    if made is None:
        made = _models(db)
        setattr(db, "_ledger_models", made)  # noqa: B010 (peewee's Database has no slot)
    return made


def _models(db: pw.Database) -> dict[str, Any]:
    import peewee as pw  # here: only creating tables and model writes need it

    class Base(pw.Model):
        class Meta:
            database = db

    class Response(Base):
        key = pw.TextField(primary_key=True)
        ts = pw.FloatField()
        session_id = pw.TextField()
        model = pw.TextField()
        input = pw.IntegerField()
        output = pw.IntegerField()
        cache_5m = pw.IntegerField()
        cache_1h = pw.IntegerField()
        cache_read = pw.IntegerField()
        web_search = pw.IntegerField()
        speed = pw.TextField()
        geo = pw.TextField()
        cost_usd = pw.FloatField(null=True)
        sidechain = pw.BooleanField()
        message_id = pw.TextField()
        request_id = pw.TextField()

        class Meta:
            table_name = "responses"
            without_rowid = True

    class TrackedFile(Base):
        path = pw.TextField(primary_key=True)
        device = pw.IntegerField()
        inode = pw.IntegerField()
        size = pw.IntegerField()
        offset = pw.IntegerField()
        lines = pw.IntegerField()
        mtime_ns = pw.IntegerField()

        class Meta:
            table_name = "files"

    class Session(Base):
        session_id = pw.TextField(primary_key=True)
        name = pw.TextField(default="")
        tags = pw.TextField(default="")
        description = pw.TextField(default="")
        project_path = pw.TextField(default="")

        class Meta:
            table_name = "sessions"

    class Reset(Base):
        ts = pw.FloatField()
        resets_at = pw.FloatField()

        class Meta:
            table_name = "resets"
            primary_key = pw.CompositeKey("ts", "resets_at")

    class AlertFired(Base):
        block_start = pw.FloatField()
        kind = pw.TextField()
        fired_at = pw.FloatField()

        class Meta:
            table_name = "alerts"
            primary_key = pw.CompositeKey("block_start", "kind")

    class CachedBlock(Base):
        # Finished 5-hour blocks (a cache: dropped from the first changed time onwards).
        start = pw.FloatField(primary_key=True)
        end = pw.FloatField()
        first = pw.FloatField()
        last = pw.FloatField()
        official = pw.BooleanField()
        input = pw.IntegerField()
        output = pw.IntegerField()
        cache_creation = pw.IntegerField()
        cache_read = pw.IntegerField()
        cost_usd = pw.FloatField(null=True)
        responses = pw.IntegerField()
        # Columns added later (unpriced_responses, unpriced_tokens) are not declared here:
        # block_cache.py adds them with ALTER TABLE, so a ledger made before opens as it is.

        class Meta:
            table_name = "block_cache"

    class ModelChange(Base):
        # Each change of the model for new sessions (model manager): auto, restore, manual.
        id = pw.AutoField()
        ts = pw.FloatField()
        kind = pw.TextField()
        old = pw.TextField(null=True)  # null = Claude Code's default (no `model` key)
        new = pw.TextField(null=True)
        reason = pw.TextField(default="")
        until = pw.FloatField(null=True)  # the reset that ends an automatic switch or a hold
        source = pw.TextField(default="")  # cli, tray, auto

        class Meta:
            table_name = "model_history"

    class Meta_(Base):
        key = pw.TextField(primary_key=True)
        value = pw.TextField()

        class Meta:
            table_name = "meta"

    class ResponseRoot(Base):
        # Every data root a copy of a response was read from (adapters/roots_ledger.py).
        root = pw.TextField()
        key = pw.TextField()

        class Meta:
            table_name = "response_roots"
            primary_key = pw.CompositeKey("root", "key")
            without_rowid = True

    return {
        "response": Response,
        "file": TrackedFile,
        "session": Session,
        "reset": Reset,
        "alert": AlertFired,
        "meta": Meta_,
        "block": CachedBlock,
        "model_change": ModelChange,
        "response_root": ResponseRoot,
    }
