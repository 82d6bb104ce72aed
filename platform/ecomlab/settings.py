"""The platform's one typed configuration.

A profile (`embedded`, `local`, `cluster`) selects a packaged YAML file; an optional site
file (`ECOMLAB_CONFIG`) is merged over it, and environment variables (`ECOMLAB_<KEY>`,
nested keys joined by `__`, e.g. `ECOMLAB_SPARK__MASTER`) override both. Every location
the platform touches comes from here, and a wrong or missing setting fails at start-up
with a message naming the key.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

PROFILES = ("embedded", "local", "cluster")
ENV_PREFIX = "ECOMLAB_"
_SPARK_MASTER = re.compile(r"^(local(\[(\*|\d+)(,\d+)?\])?|spark://[\w.\-]+:\d+(,[\w.\-]+:\d+)*|yarn|k8s://\S+)$")
_HOST_PORT = re.compile(r"^[\w.\-]+:\d{1,5}$")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the key and where it comes from."""


class SparkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    master: str
    driver_memory: str = "2g"
    shuffle_partitions: PositiveInt = 4
    # JVM options of the driver and executors (garbage collector, heap sizing); never -Xmx,
    # which the memory settings own.
    jvm_options: str = ""
    # Extra Spark properties passed through as they are (e.g. spark.executor.memory).
    conf: dict[str, str] = Field(default_factory=dict)

    @field_validator("master")
    @classmethod
    def _known_master(cls, value: str) -> str:
        if not _SPARK_MASTER.match(value):
            raise ValueError(f"must be local[N], spark://host:port, yarn or k8s://..., got {value!r}")
        return value

    @field_validator("driver_memory")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if not re.fullmatch(r"\d+[kmgt]", value.lower()):
            raise ValueError(f"must be a JVM memory size such as 2g or 512m, got {value!r}")
        return value

    @field_validator("jvm_options")
    @classmethod
    def _no_heap_limit(cls, value: str) -> str:
        return _no_max_heap(value)


def _no_max_heap(value: str) -> str:
    if "-Xmx" in value:
        raise ValueError(f"must not set the maximum heap (-Xmx): the memory settings do, got {value!r}")
    return value


class CollectionSettings(BaseModel):
    """Crawling: where it may go, how politely, and where its work runs."""

    model_config = ConfigDict(extra="forbid")

    # Hosts a crawl may fetch from (exact names or IPs); nothing else is fetched.
    allowed_hosts: list[str] = Field(default_factory=list)
    # Private, loopback or link-local networks a crawl may still reach (CIDR), e.g. the demo shop's.
    allow_private_networks: list[str] = Field(default_factory=list)
    user_agent: str = "ecomlab-crawler/0.1"
    requests_per_second_per_host: float = Field(5.0, gt=0)
    timeout_seconds: float = Field(10.0, gt=0)
    max_page_bytes: PositiveInt = 2_000_000
    retries: int = Field(3, ge=0, le=10)
    backoff_seconds: float = Field(0.2, ge=0)
    max_redirects: int = Field(5, ge=0, le=20)
    chunk_size: PositiveInt = 8
    # A dynamic chunk starts one browser: larger chunks spread its start-up over more pages.
    dynamic_chunk_size: PositiveInt = 12
    # "local": a Dask LocalCluster in this process; otherwise the scheduler's address (tcp://host:port).
    dask_scheduler: str = "local"
    dask_workers: PositiveInt = 2
    chromium_path: str = "/usr/bin/chromium"
    node_path: str = "node"
    page_timeout_seconds: float = Field(20.0, gt=0)
    zookeeper_session_seconds: float = Field(10.0, gt=0)

    @field_validator("allow_private_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"{network!r} is not a network in CIDR form (e.g. 127.0.0.0/8)") from exc
        return value

    @field_validator("dask_scheduler")
    @classmethod
    def _scheduler(cls, value: str) -> str:
        if value != "local" and not re.match(r"^(tcp|tls)://[\w.\-]+:\d+$", value):
            raise ValueError(f"must be local or tcp://host:port, got {value!r}")
        return value


class ServicePorts(BaseModel):
    """Loopback ports of the local profile's services (`ecomlab up`); other settings refer to them as ${ports.NAME}."""

    model_config = ConfigDict(extra="forbid")

    postgres: int = Field(5433, ge=1, le=65535)
    zookeeper: int = Field(2181, ge=1, le=65535)
    metastore: int = Field(9083, ge=1, le=65535)
    spark_master: int = Field(7077, ge=1, le=65535)
    spark_master_ui: int = Field(8080, ge=1, le=65535)
    spark_worker: int = Field(7078, ge=1, le=65535)
    spark_worker_ui: int = Field(8081, ge=1, le=65535)
    thrift_server: int = Field(10000, ge=1, le=65535)
    thrift_server_ui: int = Field(4040, ge=1, le=65535)
    dask_scheduler: int = Field(8786, ge=1, le=65535)
    dask_dashboard: int = Field(8787, ge=1, le=65535)
    dask_worker_dashboard: int = Field(8788, ge=1, le=65535)
    airflow: int = Field(8280, ge=1, le=65535)
    shop: int = Field(8800, ge=1, le=65535)
    dashboard: int = Field(8050, ge=1, le=65535)

    @model_validator(mode="after")
    def _distinct(self) -> ServicePorts:
        seen: dict[int, str] = {}
        for name, port in self.model_dump().items():
            if port in seen:
                raise ValueError(f"ports.{name} and ports.{seen[port]} are both {port}")
            seen[port] = name
        return self


class ServicesSettings(BaseModel):
    """The local platform that `ecomlab up` runs under a process supervisor."""

    model_config = ConfigDict(extra="forbid")

    ports: ServicePorts = Field(default_factory=ServicePorts)
    # Memory of the one Spark worker and of each executor (small: the machine is shared).
    spark_worker_memory: str = "1g"
    spark_worker_cores: PositiveInt = 2
    spark_executor_memory: str = "512m"
    # Spark refuses a driver heap under ~450 MiB of usable memory.
    thrift_server_memory: str = "640m"
    metastore_memory: str = "256m"
    dask_worker_memory: str = "512MiB"
    # JVM options of the long-running service JVMs (ZooKeeper, the metastore, Spark's master
    # and worker): they idle most of the time, so a small serial-collected heap that grows on
    # demand and only the quick compiler keep their footprint down.
    daemon_jvm_options: str = (
        "-XX:+UseSerialGC -Xms16m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:TieredStopAtLevel=1"
    )
    # One task at a time: the worker's second core belongs to the Thrift Server, so a second
    # Spark job would only hold a driver (and memory) while it waits for the first one's core.
    # The pipeline's waits reschedule or defer, so they never hold the slot.
    airflow_parallelism: int = Field(1, ge=1, le=8)
    # Seconds to wait for each service to become healthy before `up` gives up.
    start_timeout_seconds: float = Field(120.0, gt=0)

    @field_validator("daemon_jvm_options")
    @classmethod
    def _no_heap_limit(cls, value: str) -> str:
        return _no_max_heap(value)

    @field_validator("spark_worker_memory", "spark_executor_memory", "thrift_server_memory", "metastore_memory")
    @classmethod
    def _jvm_memory(cls, value: str) -> str:
        if not re.fullmatch(r"\d+[kmgt]", value.lower()):
            raise ValueError(f"must be a JVM memory size such as 512m or 1g, got {value!r}")
        return value


class _EnvWithoutProfile(EnvSettingsSource):
    """Environment source that leaves the profile to load_settings (it picks the YAML)."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        data.pop("profile", None)
        return data


class Settings(BaseSettings):
    """Effective configuration of one profile."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    profile: Literal["embedded", "local", "cluster"]
    home: Path = Field(description="Directory for local state (lake, metastore, logs) when paths are local.")
    lake_root: str = Field(description="Root of the data lake: file:///abs/path or hdfs://namenode:port/path.")
    metastore: str = Field(description="derby:///abs/path (embedded) or thrift://host:port (metastore service).")
    mart_url: str = Field(description="SQLAlchemy URL of the results mart.")
    zookeeper_hosts: str = Field(description="host:port[,host:port...], or in-process (embedded only).")
    spark: SparkSettings
    collection: CollectionSettings = Field(default_factory=CollectionSettings)
    services: ServicesSettings = Field(default_factory=ServicesSettings)
    webhdfs_url: str | None = Field(default=None, description="http(s)://namenode:9870, needed for an hdfs:// lake.")
    hdfs_user: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML files arrive as init values; the environment must win over them.
        return _EnvWithoutProfile(settings_cls), init_settings

    @model_validator(mode="before")
    @classmethod
    def _expand_home(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "home" not in data:
            return data
        home = Path(str(data["home"])).expanduser()
        if not home.is_absolute():
            home = Path.cwd() / home
        data = dict(data, home=str(home.resolve()))
        return _substitute(data, {"home": data["home"], **_port_variables(data)})

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        if not value.is_absolute():
            raise ValueError("must be an absolute path")
        return value

    @field_validator("lake_root")
    @classmethod
    def _lake_uri(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme == "file":
            if not parsed.path.startswith("/") or parsed.netloc:
                raise ValueError(f"a file lake must be file:///absolute/path, got {value!r}")
        elif parsed.scheme == "hdfs":
            if not parsed.netloc:
                raise ValueError(f"an HDFS lake must name its namenode (hdfs://host:port/path), got {value!r}")
        else:
            raise ValueError(f"must start with file:// or hdfs://, got {value!r}")
        return value.rstrip("/")

    @field_validator("metastore")
    @classmethod
    def _metastore_uri(cls, value: str) -> str:
        if value.startswith("derby://"):
            path = value[len("derby://") :]
            if not path.startswith("/"):
                raise ValueError(
                    f"an embedded Derby metastore needs an absolute path (derby:///abs/path), got {value!r}"
                )
        elif value.startswith("thrift://"):
            for uri in value.split(","):
                if not _HOST_PORT.match(uri.strip().removeprefix("thrift://")):
                    raise ValueError(f"each metastore URI must be thrift://host:port, got {uri!r}")
        else:
            raise ValueError(f"must be derby:///abs/path or thrift://host:port, got {value!r}")
        return value

    @field_validator("mart_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"is not a SQLAlchemy database URL: {value!r}") from exc
        return value

    @field_validator("zookeeper_hosts")
    @classmethod
    def _zookeeper(cls, value: str) -> str:
        if value == "in-process":
            return value
        hosts = [h.strip() for h in value.split(",")]
        bad = [h for h in hosts if not _HOST_PORT.match(h)]
        if bad:
            raise ValueError(f"must be host:port[,host:port...] or in-process, bad entries: {bad}")
        return ",".join(hosts)

    @model_validator(mode="after")
    def _profile_consistency(self) -> Settings:
        if self.profile == "embedded":
            wrong = {
                "lake_root": (self.lake_root.startswith("file://"), "a file:// lake"),
                "metastore": (self.metastore.startswith("derby://"), "an embedded Derby metastore"),
                "mart_url": (self.mart_url.startswith("sqlite"), "a SQLite mart"),
                "spark.master": (self.spark.master.startswith("local"), "a local[N] Spark master"),
            }
            for key, (ok, need) in wrong.items():
                if not ok:
                    raise ValueError(f"{key}: the embedded profile runs in one process and needs {need}")
        elif self.zookeeper_hosts == "in-process":
            raise ValueError(f"zookeeper_hosts: the {self.profile} profile needs real ZooKeeper hosts")
        if self.lake_root.startswith("hdfs://") and not self.webhdfs_url:
            raise ValueError("webhdfs_url: an hdfs:// lake needs the namenode's WebHDFS address")
        return self

    # Derived locations -------------------------------------------------------------

    @property
    def derby_path(self) -> Path | None:
        return Path(self.metastore[len("derby://") :]) if self.metastore.startswith("derby://") else None

    @property
    def warehouse_root(self) -> str:
        return f"{self.lake_root}/warehouse"

    @property
    def raw_root(self) -> str:
        return f"{self.lake_root}/raw"

    @property
    def runs_root(self) -> str:
        return f"{self.lake_root}/runs"

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict, with passwords in URLs hidden."""
        from sqlalchemy.engine import make_url

        data = self.model_dump(mode="json")
        data["mart_url"] = make_url(self.mart_url).render_as_string(hide_password=True)
        return data


def _substitute(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace("${" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, variables) for k, v in value.items()}
    return value


def _port_variables(data: dict[str, Any]) -> dict[str, str]:
    """${ports.NAME} for every service port, so that URLs follow a port set in `services.ports`."""
    services = data.get("services") or {}
    overrides = services.get("ports") if isinstance(services, dict) else None
    ports = ServicePorts.model_fields
    values = {name: field.default for name, field in ports.items()}
    if isinstance(overrides, dict):
        values.update({k: v for k, v in overrides.items() if k in ports})
    return {f"ports.{name}": str(value) for name, value in values.items()}


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: must be a mapping of keys to values")
    return data


def _describe_errors(exc: ValidationError, origin: str) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc) or "(settings)"
        env_name = ENV_PREFIX + "__".join(loc).upper()
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = f"missing; set it in {origin} or as {env_name}"
        elif error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif ": " in message and not loc:
            key, message = message.split(": ", 1)
        lines.append(f"  {key}: {message}")
    return "invalid configuration:\n" + "\n".join(lines)


def load_settings(profile: str | None = None, config_file: str | os.PathLike[str] | None = None) -> Settings:
    """Build the settings of a profile: packaged YAML < site YAML < environment."""
    profile = profile or os.environ.get(f"{ENV_PREFIX}PROFILE") or "embedded"
    if profile not in PROFILES:
        raise ConfigError(f"profile: must be one of {', '.join(PROFILES)}, got {profile!r} (from {ENV_PREFIX}PROFILE)")
    packaged = resources.files("ecomlab") / "conf" / f"{profile}.yaml"
    data = _read_yaml(packaged.read_text(encoding="utf-8"), f"{profile}.yaml")
    origin = f"a site file named by {ENV_PREFIX}CONFIG"
    config_arg = config_file is not None
    config_file = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            source = "the config_file argument" if config_arg else f"{ENV_PREFIX}CONFIG"
            raise ConfigError(f"config file: {path} (from {source}) does not exist")
        data = _deep_merge(data, _read_yaml(path.read_text(encoding="utf-8"), str(path)))
        origin = str(path)
    data["profile"] = profile
    data.setdefault("home", "var")
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc, origin)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
