"""Commands for curation: accounts, backups, and writing lessons back to data/."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pockg.cli import _progress, path_options
from pockg.curation.roles import DESCRIPTIONS, ROLES


def _db(settings, db: str | None) -> str:
    import os

    from pockg.accounts import default_db

    return db or os.environ.get("POCKG_DB") or default_db(settings.store)


def db_option(func):
    return click.option("--db", metavar="FILE",
                        help="Accounts database. Env: POCKG_DB. Default: <store>.users.sqlite.")(func)


ROLE_HELP = "\b\nRoles, each with the rights of the ones before it:\n" + "\n".join(
    f"  {r:<12} {DESCRIPTIONS[r]}" for r in ROLES)


@click.group(epilog=ROLE_HELP)
def user():
    """Manage accounts (stored in SQLite beside the store, or at POCKG_DB).

    \b
    Examples:
      pockg user add maria --role curator          (asks for the password)
      echo "$PW" | pockg user add sam --role reviewer --password-stdin
      pockg user set-role sam admin
      pockg user disable sam                       (signs out all sessions)
      pockg user list
    """


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password (at least 10 characters)", hide_input=True,
                        confirmation_prompt=True)


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES[1:]), help="The account's role.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@path_options
@db_option
def user_add(settings, db, name, role, password_stdin):
    """Add an account NAME with a role; the password is asked for (never a default)."""
    from pockg.accounts import Accounts

    accounts = Accounts(_db(settings, db))
    accounts.add(name, role, _password(password_stdin))
    click.echo(f"added {name} ({role})")


@user.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@path_options
@db_option
def user_set_role(settings, db, name, role):
    """Give NAME another role."""
    from pockg.accounts import Accounts

    Accounts(_db(settings, db)).set_role(name, role)
    click.echo(f"{name} is now {role}")


@user.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@path_options
@db_option
def user_set_password(settings, db, name, password_stdin):
    """Set NAME's password; every session of NAME is signed out."""
    from pockg.accounts import Accounts

    Accounts(_db(settings, db)).set_password(name, _password(password_stdin))
    click.echo(f"password of {name} changed; their sessions were signed out")


@user.command("disable")
@click.argument("name")
@path_options
@db_option
def user_disable(settings, db, name):
    """Disable NAME: no sign-in, and every session signed out now."""
    from pockg.accounts import Accounts

    Accounts(_db(settings, db)).set_disabled(name, True)
    click.echo(f"{name} is disabled")


@user.command("enable")
@click.argument("name")
@path_options
@db_option
def user_enable(settings, db, name):
    """Enable NAME again."""
    from pockg.accounts import Accounts

    Accounts(_db(settings, db)).set_disabled(name, False)
    click.echo(f"{name} is enabled")


@user.command("list")
@path_options
@db_option
def user_list(settings, db):
    """List the accounts and their roles."""
    from pockg.accounts import Accounts

    for u in Accounts(_db(settings, db)).list():
        click.echo(f"{u.name:<20} {u.role:<12} {'disabled' if u.disabled else 'active':<9} {u.created[:10]}")


@click.command()
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@path_options
@db_option
def backup(settings, db, target):
    """Back up the store and the accounts into the new folder TARGET.

    While `pockg serve` runs, the server takes the snapshot between two saves
    (asked over its control socket, <store>.control); otherwise the store is
    opened here. Restore with `pockg restore TARGET`.
    """
    from pockg.backup import backup_offline
    from pockg.control import ask, socket_path

    target = target.resolve()
    answer = ask(socket_path(settings.store), {"op": "backup", "target": str(target)})
    if answer is not None:
        if not answer.get("ok"):
            from pockg.errors import StoreError

            raise StoreError(f"the server could not back up: {answer.get('error')}")
        info = answer
    else:
        info = backup_offline(settings.store, _db(settings, db), target)
    click.echo(f"backed up {info['quads']} quads in {info['graphs']} graphs and the accounts "
               f"to {target} ({info['via']})")


@click.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@path_options
@db_option
def restore(settings, db, source):
    """Replace the store and the accounts with the backup in SOURCE.

    Stop `pockg serve` first. The replaced store is kept beside it as
    <store>.replaced-<time>, so a restore loses nothing either. The public
    replica (what readers and /sparql see) is made again from the restored
    store, so a read-only server can start on it at once.
    """
    from pockg.backup import restore as run_restore

    info = run_restore(source, settings.store, _db(settings, db),
                       progress=lambda message: click.echo(message, err=True))
    click.echo(f"restored {info['quads']} quads (backup of {info['created']}) into {settings.store}")


@click.command("export-data")
@path_options
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write lessons/ into (default: the data folder, so data/lessons/).")
def export_data(settings, output):
    """Write the lessons curated in the browser back as data/lessons/*.yaml.

    One human-editable file per lesson, keyed by the lesson shape's fields;
    `pockg build` reads them back, so build, edit, export, rebuild gives the
    same lessons. Stop the server first, or export from a backup.
    """
    from pockg.curation.export import export_lessons
    from pockg.store import open_store

    store = open_store(settings.store, read_only=settings.store != ":memory:")
    count = export_lessons(store, settings.ontology_dir, output or settings.data_dir,
                           progress=_progress(False))
    click.echo(f"exported {count} lesson(s)")
