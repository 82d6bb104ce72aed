"""Coordination between processes: per-site locks, crawl checkpoints and the service registry.

`coordinator_from_settings` gives the ZooKeeper implementation (kazoo) when
`zookeeper_hosts` names hosts, and the in-process one in the embedded profile.
"""

from ecomlab.coordination.base import (
    Coordinator,
    LockBusyError,
    ServiceEntry,
    coordinator_from_settings,
)

__all__ = ["Coordinator", "LockBusyError", "ServiceEntry", "coordinator_from_settings"]
