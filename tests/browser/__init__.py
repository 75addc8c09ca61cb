"""Real-browser tests (headless Chromium via playwright); see conftest.py."""
