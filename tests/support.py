"""Paths shared by the tests (importable as `support`, unlike conftest)."""

from __future__ import annotations

from pathlib import Path

from pockg.config import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = REPO_ROOT.parent / "shared" / "sources" / "poc-workshop-report-2010.txt"
