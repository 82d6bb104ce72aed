"""Generated secrets: made once, private to their owner, never regenerated behind the data's back."""

from __future__ import annotations

import pytest

from ecomlab.services import configs
from ecomlab.services.layout import Layout
from ecomlab.services.secrets import admin_password, get_or_create


def test_a_password_is_generated_once_and_kept_private(tmp_path):
    first = admin_password(tmp_path / "secrets")
    again = admin_password(tmp_path / "secrets")
    assert first.created and not again.created
    assert first.value == again.value and len(first.value) >= 20
    assert (tmp_path / "secrets" / "admin_password").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700


def test_a_secret_readable_by_others_is_refused(tmp_path):
    secret = get_or_create(tmp_path, "token")
    (tmp_path / "token").chmod(0o644)
    with pytest.raises(PermissionError, match="token is readable by others"):
        get_or_create(tmp_path, "token")
    assert (tmp_path / "token").read_text().strip() == secret.value  # nothing replaced


def test_an_empty_secret_is_an_error_not_a_blank_password(tmp_path):
    (tmp_path / "token").write_text("")
    (tmp_path / "token").chmod(0o600)
    with pytest.raises(ValueError, match="token is empty"):
        get_or_create(tmp_path, "token")


def test_files_holding_the_password_are_private(tmp_path, monkeypatch):
    from ecomlab.settings import load_settings

    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    settings = load_settings("local")
    layout = Layout(settings.home)
    layout.create()
    configs.write_all(settings, layout, "s3cret")
    for path in (layout.conf / "hive" / "hive-site.xml", layout.secrets / "airflow_passwords.json"):
        assert "s3cret" in path.read_text()
        assert path.stat().st_mode & 0o777 == 0o600
    for directory in (layout.conf, layout.secrets, layout.run):
        assert directory.stat().st_mode & 0o777 == 0o700


def test_airflow_reads_its_keys_from_private_files_not_from_the_supervisor_configuration(tmp_path, monkeypatch):
    import base64

    from ecomlab.services.definitions import build_services
    from ecomlab.services.supervisor import render
    from ecomlab.settings import load_settings

    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    settings = load_settings("local")
    layout = Layout(settings.home)
    layout.create()
    configs.write_all(settings, layout, admin_password(layout.secrets).value)
    fernet = (layout.secrets / "airflow_fernet_key").read_text().strip()
    assert len(base64.urlsafe_b64decode(fernet)) == 32
    services = build_services(settings, layout)
    env = next(s for s in services if s.name == "airflow-scheduler").env
    assert env["AIRFLOW__CORE__FERNET_KEY_CMD"] == f"cat {layout.secrets / 'airflow_fernet_key'}"
    conf = render(services, layout)
    for name in ("admin_password", "airflow_jwt_secret", "airflow_api_secret_key", "airflow_fernet_key"):
        assert (layout.secrets / name).read_text().strip() not in conf
