"""Curation of lessons learned: the lesson model (from the SHACL shape), the
lifecycle (from data), who may see and do what, history, import and export.

Curated content lives in named graphs under ``https://w3id.org/pockg/user/``,
which ``pockg build`` never touches; every write goes through the one
serialized writer (``pockg.writer``).
"""
