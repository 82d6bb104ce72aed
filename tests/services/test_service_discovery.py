"""Clients find services in the registry on a real ZooKeeper, and name the one that is down."""

from __future__ import annotations

import pytest

from ecomlab.coordination.zookeeper import ZooKeeperCoordinator
from ecomlab.services.discovery import ServiceDown, require
from ecomlab.settings import load_settings
from ecomlab.warehouse import hiveserver2


@pytest.fixture
def local(zookeeper, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_ZOOKEEPER_HOSTS", zookeeper.hosts)
    return load_settings("local")


def test_a_registered_thrift_server_is_found_and_a_gone_one_is_named(local, zookeeper):
    with ZooKeeperCoordinator(zookeeper.hosts) as registrar:
        entry = registrar.register("thrift-server", "127.0.0.1:10123", {"health": "healthy"})
        assert hiveserver2.endpoint(local) == ("127.0.0.1", 10123)
        registrar.unregister(entry)
        with pytest.raises(hiveserver2.HiveServer2Unavailable, match="thrift-server is not registered") as info:
            hiveserver2.endpoint(local)
        assert info.value.service == "thrift-server"


def test_entries_vanish_with_the_registrar_session(local, zookeeper):
    registrar = ZooKeeperCoordinator(zookeeper.hosts)
    registrar.register("metastore", "thrift://127.0.0.1:9083", {"health": "healthy"})
    assert require(local, "metastore").address == "thrift://127.0.0.1:9083"
    registrar.close()
    with pytest.raises(ServiceDown, match="metastore is not registered"):
        require(local, "metastore")


def test_the_embedded_profile_has_no_services_to_find(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    with pytest.raises(ServiceDown, match="embedded profile runs no thrift-server"):
        require(load_settings("embedded"), "thrift-server")
