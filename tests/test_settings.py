"""Settings: the JWT secret rules, and config/example.env documents every setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.settings import Settings, SettingsError


def make(tmp_path: Path, **kw) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **kw)  # type: ignore[call-arg]


def test_production_refuses_to_start_without_a_secret(tmp_path):
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        make(tmp_path, environment="production").resolve_jwt_secret()


def test_development_generates_a_secret_once_and_keeps_it(tmp_path):
    first = make(tmp_path).resolve_jwt_secret()
    again = make(tmp_path).resolve_jwt_secret()
    assert len(first) >= 32 and first == again
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0


def test_configured_secret_wins(tmp_path):
    assert make(tmp_path, jwt_secret="s" * 40).resolve_jwt_secret() == "s" * 40
    assert not (tmp_path / "jwt_secret").exists()


def test_bad_values_are_refused(tmp_path):
    with pytest.raises(ValueError):
        make(tmp_path, log_level="verbose")
    with pytest.raises(ValueError):
        make(tmp_path, db_pool_min=10, db_pool_max=2)


def test_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORT", "9099")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    s = make(tmp_path)
    assert (s.port, s.log_level.value) == (9099, "debug")


def test_example_env_documents_every_setting():
    text = (Path(__file__).parent.parent / "config" / "example.env").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_blank_urls_mean_unset(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("MONGODB_URL", "  ")
    s = make(tmp_path)
    assert s.database_url is None and s.mongodb_url is None


def test_public_base_url_follows_where_serve_listens(tmp_path):
    assert make(tmp_path, port=9000).public_base_url == "http://127.0.0.1:9000"
    assert make(tmp_path, host="0.0.0.0", port=9000).public_base_url == "http://127.0.0.1:9000"
    assert make(tmp_path, host="::", port=9000).public_base_url == "http://[::1]:9000"
    derived = make(tmp_path, port=0)
    derived.listening_on(43210)  # PORT=0: the port the socket actually got
    assert (derived.port, derived.public_base_url) == (43210, "http://127.0.0.1:43210")
    given = make(tmp_path, port=0, public_base_url="https://api.example.app")
    given.listening_on(43210)
    assert given.public_base_url == "https://api.example.app"
