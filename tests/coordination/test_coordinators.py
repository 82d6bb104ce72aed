"""The same interface in two implementations: ZooKeeper (kazoo, real server) and in-process."""

import uuid

import pytest

from ecomlab.coordination import LockBusyError
from ecomlab.coordination.inprocess import InProcessCoordinator
from ecomlab.coordination.zookeeper import ZooKeeperCoordinator


@pytest.fixture(params=["zookeeper", "in-process"])
def make(request, tmp_path):
    root = f"/test-{uuid.uuid4().hex[:8]}"
    opened = []

    def factory():
        if request.param == "zookeeper":
            zk = request.getfixturevalue("zookeeper")
            coordinator = ZooKeeperCoordinator(zk.hosts, root=root, session_timeout=2)
        else:
            coordinator = InProcessCoordinator(tmp_path / "coordination")
        opened.append(coordinator)
        return coordinator

    factory.kind = request.param
    yield factory
    for coordinator in opened:
        coordinator.close()


def test_a_lock_excludes_a_second_holder_until_released(make):
    first, second = make(), make()
    with first.lock("site-shop:80"):
        with pytest.raises(LockBusyError, match="site-shop:80"), second.lock("site-shop:80", timeout=0.3):
            pass
        with second.lock("site-other:80"):  # other sites are independent
            pass
    with second.lock("site-shop:80"):
        pass


def test_a_checkpoint_survives_a_new_connection_and_is_replaced_whole(make):
    writer = make()
    assert writer.load_checkpoint("crawl-x") is None
    writer.save_checkpoint("crawl-x", {"crawl_id": "a", "done": [0, 1]})
    writer.save_checkpoint("crawl-x", {"crawl_id": "a", "done": [0, 1, 2]})
    writer.close()
    reader = make()
    assert reader.load_checkpoint("crawl-x") == {"crawl_id": "a", "done": [0, 1, 2]}
    reader.clear_checkpoint("crawl-x")
    assert reader.load_checkpoint("crawl-x") is None


def test_registered_services_are_listed_looked_up_and_gone_with_their_owner(make):
    owner = make()
    owner.register("crawler", "host-a:101", {"site": "s"})
    second = owner.register("crawler", "host-b:102")
    owner.register("shop", "127.0.0.1:8800")
    view = owner if make.kind == "in-process" else make()
    assert sorted(e.address for e in view.list("crawler")) == ["host-a:101", "host-b:102"]
    assert view.lookup("shop").address == "127.0.0.1:8800"
    assert view.lookup("nothing") is None
    owner.unregister(second)
    assert [e.meta for e in view.list("crawler")] == [{"site": "s"}]
    owner.close()
    # Ephemeral: the owner's entries go with its session (in-process: with the process's registry).
    survivor = view if make.kind == "zookeeper" else owner
    assert survivor.list() == []


def test_names_that_would_escape_a_path_are_refused(make):
    coordinator = make()
    with pytest.raises(ValueError, match="lock name"), coordinator.lock("../x"):
        pass
    with pytest.raises(ValueError, match="service name"):
        coordinator.register("a/b", "x")
