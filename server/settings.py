"""Every setting ClassConnect reads, from the environment and an optional `.env` file.

`config/example.env` documents each one with its default; keep the two in step.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?")


class Environment(StrEnum):
    development = "development"
    production = "production"


class LogLevel(StrEnum):
    error = "error"
    warn = "warn"
    info = "info"
    debug = "debug"


class EventLoop(StrEnum):
    uvloop = "uvloop"
    asyncio = "asyncio"


class SettingsError(RuntimeError):
    """The configuration cannot be used as given (raised at start-up, never later)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=False)

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    environment: Environment = Environment.development
    log_level: LogLevel = LogLevel.info
    event_loop: EventLoop = EventLoop.uvloop
    # Pending connections the kernel queues before accept (capped by net.core.somaxconn). A
    # reconnect storm after a deploy opens thousands at once; with asyncio's default of 100 the
    # overflow waits for SYN retransmits (1 s, 3 s, 7 s, ...).
    listen_backlog: int = Field(4096, ge=1)
    data_dir: Path = Path("var")

    # Stores. None means "start an embedded server under data_dir".
    database_url: str | None = None
    mongodb_url: str | None = None
    mongodb_database: str = "classconnect"
    redis_url: str | None = None
    db_pool_min: int = Field(2, ge=1)
    db_pool_max: int = Field(20, ge=1)
    embedded_mongo_port: int = Field(0, ge=0, le=65535)

    # Realtime (Socket.IO)
    realtime_redis_channel: str = "classconnect"
    realtime_relay_enabled: bool = True
    realtime_relay_batch: int = Field(500, ge=1, le=10000)
    realtime_relay_poll_seconds: float = Field(1.0, gt=0)
    realtime_auth_sweep_seconds: float = Field(10.0, gt=0)
    realtime_socket_queue_limit: int = Field(1000, ge=10)
    realtime_client_rate: float = Field(5.0, gt=0)
    realtime_client_burst: int = Field(20, ge=1)
    realtime_ping_interval_seconds: float = Field(25.0, gt=0)
    # Sockets one user may hold open in one process; beyond, connects are refused
    # (`too_many_sockets`). Events are also limited per user, across the user's sockets in the
    # process, so opening more sockets does not multiply the per-socket rate.
    realtime_max_sockets_per_user: int = Field(10, ge=1)
    realtime_user_rate: float = Field(10.0, gt=0)
    realtime_user_burst: int = Field(40, ge=1)
    # An Engine.IO connection with no authenticated Socket.IO namespace by then is closed.
    realtime_connect_timeout_seconds: float = Field(10.0, gt=0)

    # HTTP
    # Browser origins (scheme://host[:port]) allowed besides the server's own; none by default
    # (the mobile app sends no Origin, the admin console is same-origin). Socket.IO and HTTP
    # (server/handlers/cors.py) both hold browsers to it.
    allowed_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(1 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    shutdown_timeout_seconds: float = Field(30.0, gt=0)
    # Served only over HTTPS (TLS ends at the load balancer): browsers are told to never use
    # plain HTTP for this host again (HSTS).
    force_https: bool = False

    # Auth
    jwt_secret: SecretStr | None = None
    access_token_minutes: int = Field(15, ge=1)
    refresh_token_days: int = Field(30, ge=1)
    google_client_ids: list[str] = Field(default_factory=list)
    google_certs_url: str = "https://www.googleapis.com/oauth2/v1/certs"
    # argon2id cost (OWASP's minimum profile: 19 MiB, 2 passes, 1 lane); see bench/auth.py.
    password_hash_time_cost: int = Field(2, ge=1)
    password_hash_memory_kib: int = Field(19456, ge=1024)
    password_hash_parallelism: int = Field(1, ge=1)
    # Register, login, resend and forgot: strict per email, generous per client address.
    rate_limit_per_email_per_minute: int = Field(10, ge=1)
    rate_limit_per_address_per_minute: int = Field(300, ge=1)
    # Proxies in front of us that append to X-Forwarded-For (a load balancer: 1). 0 trusts no
    # header, so a client cannot pick its own address to dodge the per-address limit.
    trusted_proxy_hops: int = Field(0, ge=0, le=10)
    # Forum: at most this many threads and answers per user in any sliding window.
    forum_post_limit: int = Field(10, ge=1)
    forum_post_window_seconds: int = Field(300, ge=1)

    # Providers. Empty means "use the local stand-in".
    brevo_api_key: SecretStr | None = None
    brevo_base_url: str = "https://api.brevo.com/v3"
    email_sender_address: str = "no-reply@classconnect.app"
    email_sender_name: str = "ClassConnect"
    mail_poll_seconds: float = Field(2.0, gt=0)
    fcm_project_id: str | None = None
    fcm_service_account_file: Path | None = None
    fcm_base_url: str | None = None
    supabase_url: str | None = None
    supabase_key: SecretStr | None = None
    # Base URL clients use to reach this server (links to locally stored files). Empty: where
    # `serve` listens, http://HOST:PORT, following the port it actually bound.
    public_base_url: str = ""

    # Datadog
    dd_agent_host: str | None = None
    dd_dogstatsd_port: int = Field(8125, ge=1, le=65535)
    dd_service: str = "classconnect"
    dd_env: str | None = None
    metrics_interval_seconds: float = Field(10.0, gt=0)
    # `classconnect datadog-sync` and the re-sync after admin changes (both keys needed).
    dd_api_key: SecretStr | None = None
    dd_app_key: SecretStr | None = None
    dd_site: str = "datadoghq.com"
    datadog_api_url: str | None = None  # instead of https://api.<DD_SITE>
    datadog_config_dir: Path = Path("config/datadog")
    # Notified by every monitor besides the active admins: Datadog handles or emails.
    datadog_notify_extra: list[str] = Field(default_factory=list)

    # Assignments: how often each process scans for due deadline reminders.
    reminder_poll_seconds: float = Field(30.0, gt=0)
    # Analytics: how often each process looks for courses owing their weekly at-risk digest.
    at_risk_digest_poll_seconds: float = Field(3600.0, gt=0)

    # Administration: how often each process lifts expired blocks, settles admin changes left
    # half-done by a dead process, and samples itself for GET /admin/metrics; and whether the
    # audit consumer runs (off only to measure its cost, bench/audit).
    admin_block_poll_seconds: float = Field(15.0, gt=0)
    admin_settle_seconds: float = Field(30.0, gt=0)
    admin_sample_seconds: float = Field(5.0, gt=0)
    audit_consumer_enabled: bool = True

    # Durable consumers of the outbox (notifications, ...): woken when this process relays a
    # batch, and polling as a fallback (another process may have relayed it).
    consumers_enabled: bool = True
    consumer_poll_seconds: float = Field(2.0, gt=0)
    _public_base_url_derived: bool = PrivateAttr(False)
    # Notification deliveries (email and push; docs/notifications-delivery.md).
    push_grace_seconds: float = Field(60.0, ge=0)
    presence_heartbeat_seconds: float = Field(20.0, gt=0)
    delivery_poll_seconds: float = Field(1.0, gt=0)
    delivery_claim_limit: int = Field(2000, ge=1, le=20000)
    delivery_concurrency: int = Field(16, ge=1, le=512)
    delivery_email_batch_size: int = Field(1000, ge=1, le=1000)
    delivery_lease_seconds: float = Field(120.0, gt=1)
    delivery_send_timeout_seconds: float = Field(30.0, gt=0)
    delivery_retry_base_seconds: float = Field(30.0, gt=0)
    delivery_retry_cap_seconds: float = Field(3600.0, gt=0)
    device_token_ttl_days: int = Field(270, ge=1)

    @field_validator(
        "database_url",
        "mongodb_url",
        "redis_url",
        "jwt_secret",
        "brevo_api_key",
        "fcm_project_id",
        "fcm_service_account_file",
        "fcm_base_url",
        "supabase_url",
        "supabase_key",
        "dd_agent_host",
        "dd_env",
        "dd_api_key",
        "dd_app_key",
        "datadog_api_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `DATABASE_URL=` in a shell or .env means "not configured", not "the empty URL".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allowed_origins", mode="after")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        # Browsers send an Origin as scheme://host[:port], lower case, with no path or slash.
        origins = []
        for origin in value:
            normal = origin.strip().rstrip("/").lower()
            if not _ORIGIN.fullmatch(normal):
                raise ValueError(f"{origin!r} is not an origin like https://console.example.org")
            origins.append(normal)
        return origins

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.db_pool_min > self.db_pool_max:
            raise ValueError("db_pool_min must not exceed db_pool_max")
        if not self.public_base_url.strip():
            self._public_base_url_derived = True
            self.public_base_url = self._listen_url()
        if self.delivery_send_timeout_seconds >= self.delivery_lease_seconds:
            # A send still running when its lease ends could be taken up by another worker.
            raise ValueError("delivery_send_timeout_seconds must be shorter than the lease")
        return self

    def _listen_url(self) -> str:
        # A wildcard address is no place a client can go; loopback is, on this machine.
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = "[::1]" if host == "::" else f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def listening_on(self, port: int) -> None:
        """`serve` bound `port` (PORT=0 picks a free one): links follow it unless
        PUBLIC_BASE_URL was given."""
        self.port = port
        if self._public_base_url_derived:
            self.public_base_url = self._listen_url()

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def push_grace(self) -> timedelta:
        """How long a push to someone with a live socket waits (skipped if they read it)."""
        return timedelta(seconds=self.push_grace_seconds)

    @property
    def presence_window(self) -> timedelta:
        """A user counts as online when a process saw their socket this recently: three
        heartbeats, so one late beat does not take them offline."""
        return timedelta(seconds=3 * self.presence_heartbeat_seconds)

    def resolve_jwt_secret(self) -> str:
        """The signing secret; in development one is generated once and kept in data_dir."""
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            return self.jwt_secret.get_secret_value()
        if self.is_production:
            raise SettingsError("JWT_SECRET must be set when ENVIRONMENT=production")
        path = self.data_dir / "jwt_secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Write to a temporary name first so two processes starting together never read
            # a half-written secret; the rename is atomic and the first one wins.
            tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            try:
                path.hardlink_to(tmp)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()
