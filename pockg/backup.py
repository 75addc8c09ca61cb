"""``pockg backup`` and ``pockg restore``: consistent snapshots of the store
and the accounts database.

While ``pockg serve`` runs it holds the store's only write lock, and a
read-only open does not see a consistent, flushed state; so a backup taken
then goes *through the server*: the CLI asks it over its control socket
(``pockg.control``) and the server's writer takes the snapshot between two
writes (Oxigraph's checkpoint, SQLite's online backup). With no server
running, the CLI opens the store itself. A restore needs the server stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from pockg.errors import ConfigurationError, StoreError

MANIFEST = "pockg-backup.json"
LINKER = "linker"


def _manifest(target: Path, store, via: str) -> dict:
    linker = _copy_linker(store.location, target)
    info = {"created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "quads": len(store), "graphs": len(store.named_graphs()), "via": via,
            "store": "store", "accounts": "users.sqlite", "linker": linker}
    (target / MANIFEST).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def _copy_linker(store_location: str, target: Path) -> str | None:
    """The linker's learned layer (``<store>.linker/``) goes with the store."""
    from pockg.linking.learned import folder_of

    if store_location == ":memory:" or "://" in store_location:
        return None
    folder = folder_of(store_location)
    if not folder.is_dir():
        return None
    shutil.copytree(folder, target / LINKER, ignore=shutil.ignore_patterns("*.tmp"))
    return LINKER


def replaced_stamp() -> str:
    """The time in the name of a store kept aside (``<store>.replaced-<stamp>``)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def set_aside(location: Path, stamp: str) -> Path:
    """Move the store at ``location`` beside itself, kept: ``<name>.replaced-<stamp>``."""
    kept = location.with_name(f"{location.name}.replaced-{stamp}")
    location.rename(kept)
    return kept


def drop_derived(location: Path) -> None:
    """Remove what was derived from a store that is gone (the search index and the
    public replica): both are made again from the new store."""
    from pockg.replica import location_of

    location.with_name(location.name + ".search.sqlite").unlink(missing_ok=True)
    shutil.rmtree(location_of(str(location)), ignore_errors=True)


def _prepare(target: Path) -> Path:
    target = Path(target).resolve()
    if target.exists() and any(target.iterdir()):
        raise ConfigurationError(f"{target} is not empty: back up into a new folder")
    target.mkdir(parents=True, exist_ok=True)
    return target


def backup_live(writer, store, accounts, target: Path) -> dict:
    """Snapshot a running server's store and accounts (between two writes)."""
    target = _prepare(target)
    if writer is not None:
        with writer._lock:
            store.backup(target / "store")
            accounts.backup(target / "users.sqlite")
            return _manifest(target, store, "server")
    store.backup(target / "store")
    accounts.backup(target / "users.sqlite")
    return _manifest(target, store, "server (read-only)")


def backup_offline(store_location: str, db_path: str, target: Path) -> dict:
    """Snapshot a store no server holds (opened here, read-write, for the checkpoint)."""
    from pockg.accounts import Accounts
    from pockg.store import open_store

    if not Path(store_location).is_dir():
        raise StoreError(f"there is no store at {store_location}")
    store = open_store(store_location)          # fails clearly if a server holds it
    target = _prepare(target)
    try:
        store.flush()
        store.backup(target / "store")
        accounts = Accounts(db_path)
        accounts.backup(target / "users.sqlite")
        accounts.close()
        return _manifest(target, store, "offline")
    finally:
        store.close()


def restore(source: Path, store_location: str, db_path: str,
            progress: Callable[[str], None] | None = None) -> dict:
    """Put a backup in place of the store and accounts; the old ones are kept aside.
    The public replica is made again from the restored store before any server
    may start (a read-only server never makes one; without it readers get 503)."""
    from pockg.replica import rebuild
    from pockg.store import open_store

    source = Path(source).resolve()
    manifest = source / MANIFEST
    if not manifest.is_file() or not (source / "store").is_dir():
        raise ConfigurationError(f"{source} is not a pockg backup (no {MANIFEST} or store/)")
    info = json.loads(manifest.read_text(encoding="utf-8"))
    check = open_store(source / "store", read_only=True)
    found = len(check)
    check.close()
    if found != info.get("quads"):
        raise StoreError(f"{source}: the backup holds {found} quads, its manifest says "
                         f"{info.get('quads')}; not restoring a damaged backup")
    from pockg.control import ServingLock

    location = Path(store_location)
    stamp = replaced_stamp()
    serving = ServingLock(str(location), exclusive=True)   # no server, read-only ones included
    try:
        if location.exists():
            open_store(location).close()        # nor any other writer
            set_aside(location, stamp)
        shutil.copytree(source / "store", location)
        _restore_linker(source, location, stamp)
        _restore_accounts(source, db_path, stamp)
        drop_derived(location)         # the search index is made again on first use,
        rebuild(str(location), progress)   # the replica now, while no server may start
    finally:
        serving.release()
    return info


def _restore_linker(source: Path, location: Path, stamp: str) -> None:
    """The backup's learned layer replaces the store's (the old one is kept aside);
    a backup without one leaves the restored store without one."""
    from pockg.linking.learned import folder_of

    folder = folder_of(str(location))
    if folder.exists():
        folder.rename(folder.with_name(f"{folder.name}.replaced-{stamp}"))
    if (source / LINKER).is_dir():
        shutil.copytree(source / LINKER, folder)


def _restore_accounts(source: Path, db_path: str, stamp: str) -> None:
    db = Path(db_path)
    if db_path != ":memory:" and (source / "users.sqlite").is_file():
        for suffix in ("", "-wal", "-shm"):
            old = Path(str(db) + suffix)
            if old.exists():
                old.rename(Path(f"{db}.replaced-{stamp}{suffix}"))
        shutil.copy2(source / "users.sqlite", db)
