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
    SEARCH_INDEX = None                 # defaults to <store>.search.sqlite
    LANGUAGES = ("en", "fr")
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PAGE_SIZE = 100


class DevelopmentConfig(Config):
    SECRET_KEY = "development-only-not-secret"
    SESSION_COOKIE_SECURE = False


class TestingConfig(DevelopmentConfig):
    TESTING = True
    SPARQL_TIMEOUT_S = 3.0


PROFILES = {"production": Config, "development": DevelopmentConfig, "testing": TestingConfig}
