"""The platform's CLI commands where no service is needed: logs, refusals, status of a stopped platform."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from ecomlab.cli import app


@pytest.fixture
def home(tmp_path, monkeypatch):
    with socket.socket() as sock:  # a port where no ZooKeeper answers
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_SERVICES__PORTS__ZOOKEEPER", str(port))
    monkeypatch.delenv("ECOMLAB_PROFILE", raising=False)
    return tmp_path


def test_logs_prints_the_end_of_a_service_log(home):
    logs = home / "services" / "logs"
    logs.mkdir(parents=True)
    (logs / "zookeeper.log").write_text("".join(f"line {i}\n" for i in range(100)))
    result = CliRunner().invoke(app, ["logs", "zookeeper", "-n", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["line 98", "line 99"]
    missing = CliRunner().invoke(app, ["logs", "nosuch"])
    assert missing.exit_code == 1
    assert "no log at" in missing.output and "zookeeper" in missing.output


def test_up_refuses_an_unknown_service_and_another_profile(home, monkeypatch):
    result = CliRunner().invoke(app, ["up", "--only", "nosuch"])
    assert result.exit_code == 1
    assert "unknown service(s): nosuch" in result.output
    assert not (home / "services" / "conf" / "supervisord.conf").exists()  # refused before preparing anything
    monkeypatch.setenv("ECOMLAB_PROFILE", "embedded")
    result = CliRunner().invoke(app, ["up"])
    assert result.exit_code == 2
    assert "the platform runs the local profile" in result.output


def test_status_of_a_stopped_platform_is_down_and_says_why(home):
    result = CliRunner().invoke(app, ["status"], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "registry unreachable" in result.output
    assert "not running" in result.output and "postgres" in result.output


def test_down_of_a_stopped_platform_is_a_no_op(home):
    result = CliRunner().invoke(app, ["down"])
    assert result.exit_code == 0, result.output
    assert "stopped" in result.output
