"""The local platform: every real service of the `local` profile on one machine.

`ecomlab up` prepares each service (data directories, configuration, the admin password),
starts them in order under a process supervisor (supervisord, on a unix socket in the
home) and waits for each to be healthy; a registrar process keeps an ephemeral entry per
healthy service in ZooKeeper, which `ecomlab status` and clients read to find them.

Modules: `layout` (where things live), `secrets` (generated passwords), `definitions`
(what each service runs), `health` (how each is checked), `supervisor` (the supervisord
driver), `postgres` and `airflow` (one-time preparation), `registrar` (the registry
writer), `platform` (up, down, status).
"""
