"""Every setting ClassConnect reads, from the environment and an optional `.env` file.

`config/example.env` documents each one with its default; keep the two in step.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # HTTP
    max_body_bytes: int = Field(1 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    shutdown_timeout_seconds: float = Field(30.0, gt=0)

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
    public_base_url: str = "http://127.0.0.1:8080"

    # Datadog
    dd_agent_host: str | None = None
    dd_dogstatsd_port: int = Field(8125, ge=1, le=65535)
    dd_service: str = "classconnect"
    dd_env: str | None = None
    metrics_interval_seconds: float = Field(10.0, gt=0)

    # Assignments: how often each process scans for due deadline reminders.
    reminder_poll_seconds: float = Field(30.0, gt=0)

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
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `DATABASE_URL=` in a shell or .env means "not configured", not "the empty URL".
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.db_pool_min > self.db_pool_max:
            raise ValueError("db_pool_min must not exceed db_pool_max")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

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
