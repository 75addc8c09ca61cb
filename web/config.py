"""Web settings: defaults here, then a file (POCKG_SETTINGS), then POCKG_* env vars.

Read at app creation, never at import time.
"""

from __future__ import annotations


class Config:
    SECRET_KEY = None                   # required outside development
    STORE = None                        # defaults to pockg's store setting
    SPARQL_TIMEOUT_S = 10.0
    SPARQL_MAX_ROWS = 10_000
    SPARQL_WORKERS = 2
    SPARQL_QUEUE_WAIT_S = 2.0           # longest wait for a free worker before 503
    SPARQL_WORKER_MEMORY_MB = 2048      # address-space cap of each query worker (0: none)
    SPARQL_CLIENT_BUDGET_S = 60.0      # query seconds a client may spend per window (0: no budget)
    SPARQL_CLIENT_WINDOW_S = 60.0
    # Fair shares (web/fairness.py): a query that has run this long is "long", and a
    # client whose queries took this long in the window is "heavy". Heavy clients
    # share the workers that are not reserved; when a light client finds every worker
    # busy, the longest long query of another client is stopped (503) to make room.
    SPARQL_SHORT_QUERY_S = 1.0
    SPARQL_RESERVED_WORKERS = 1
    SPARQL_SPARE_WORKER = True          # a started worker held back for a stopped one's place
    # The query workers run without network access, each in a network namespace
    # of its own (``unshare -n``, from util-linux; ``unshare -r -n`` when not root),
    # so no query (SERVICE in any disguise) reaches another machine.
    # "auto": find out at start; "off": no sandbox (for tests of its absence).
    SPARQL_SANDBOX = "auto"
    # Where no sandbox can be made, /sparql answers 503 and the server logs why,
    # unless the operator accepts the risk (POCKG_SPARQL_ALLOW_UNSANDBOXED=true).
    SPARQL_ALLOW_UNSANDBOXED = False
    # Refuse SERVICE and outside FROM on the parsed query, in front of the sandbox.
    # False only in tests, to prove the sandbox alone stops SERVICE.
    SPARQL_PARSED_CHECK = True
    # The check reads queries of at most this many bytes (UTF-8); longer ones get 413.
    SPARQL_CHECK_MAX_BYTES = 65_536
    SPARQL_HTML_ROWS = 500              # rows in the editor's table (downloads give the rest)
    SEARCH_INDEX = None                 # defaults to <store>.search.sqlite
    LANGUAGES = ("en", "fr")
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024   # any request body (413 beyond) ...
    UPLOAD_MAX_BYTES = 20 * 1024 * 1024    # ... except document uploads and imports
    READ_ONLY = False                   # True: no writer (curation, uploads off); any number
                                        # of servers may then share the store
    DB = None                           # accounts database; defaults to <store>.users.sqlite
    BACKUP_DIR = None                   # admin backups; defaults to <store>.backups/
    LOGIN_LIMIT = 5                     # failed sign-ins per account or address ...
    LOGIN_WINDOW_S = 900                # ... within this window, then 429 (pockg/accounts.py)
    LOGIN_THROTTLE_S = 30               # an account's first wait past its limit; doubles per try
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (web/proxy.py): "127.0.0.1,10.0.0.0/8". Empty: none; clients are told apart
    # by the connecting address.
    TRUSTED_PROXIES = ""
    SESSION_COOKIE_NAME = "pockg_session"
    PERMANENT_SESSION_LIFETIME = 14 * 24 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PAGE_SIZE = 100
    PAGE_CACHE_BYTES = 64 * 1024 * 1024  # readers' rendered pages kept (web/page_cache.py; 0: off)


class DevelopmentConfig(Config):
    SECRET_KEY = "development-only-not-secret"
    SESSION_COOKIE_SECURE = False


class TestingConfig(DevelopmentConfig):
    TESTING = True
    READ_ONLY = True                    # tests share built stores; curation tests turn it off
    SPARQL_TIMEOUT_S = 3.0


PROFILES = {"production": Config, "development": DevelopmentConfig, "testing": TestingConfig}
