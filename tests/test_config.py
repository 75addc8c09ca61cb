"""Paths come from options, then the environment, then the repository."""

from __future__ import annotations

import pytest

from pockg.config import REPO_ROOT, load_settings
from pockg.errors import ConfigurationError


def test_option_beats_environment_beats_default(tmp_path):
    env = {"POCKG_STORE": str(tmp_path / "from-env")}
    assert load_settings(env=env).store == str(tmp_path / "from-env")
    assert load_settings(env=env, store="cli").store == "cli"
    assert load_settings(env={}).store.endswith("var/store")


def test_folders_default_to_the_repository():
    s = load_settings(env={})
    assert (s.data_dir, s.ontology_dir, s.queries_dir) == (
        REPO_ROOT / "data", REPO_ROOT / "ontology", REPO_ROOT / "queries")


def test_missing_data_folder_is_a_clear_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="POCKG_DATA"):
        load_settings(env={"POCKG_DATA": str(tmp_path / "nowhere")})
