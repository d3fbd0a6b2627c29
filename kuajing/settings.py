"""One typed settings object (pydantic-settings, prefix ``KUAJING_``).

Read once at the process boundary (CLI, app factory, worker) and passed in; never read at import time.
In development, missing secrets are generated once into ``<var_dir>/secrets.json`` (git-ignored) so a
fresh clone runs with one command; in any other environment a missing secret is refused.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kuajing import files

LOCALES: tuple[str, ...] = ("zh_Hans", "en", "ru", "mn", "mn_Mong")

_SECRET_FIELDS = ("secret_key", "encryption_key", "lookup_key", "audit_signing_key")


class MissingSecretError(RuntimeError):
    """A required secret is not configured outside development."""


class Settings(BaseSettings):
    """Every setting of the platform."""

    model_config = SettingsConfigDict(env_prefix="KUAJING_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""  # default: sqlite file under var_dir
    db_echo: bool = False
    db_pool_size: int = 10

    secret_key: SecretStr | None = None  # session cookies, API-key hashing pepper
    encryption_key: SecretStr | None = None  # SM4 key (32 hex chars) for personal data at rest
    lookup_key: SecretStr | None = None  # HMAC-SM3 key for keyed-hash lookup columns
    audit_signing_key: SecretStr | None = None  # HMAC-SM3 key sealing audit checkpoints

    # the pipeline (后台处理), kuajing.pipeline: in-process (embedded) or Celery workers over a broker (scale-out)
    pipeline_mode: Literal["inprocess", "celery"] = "inprocess"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"  # celery mode; Redis: redis://127.0.0.1:6379/0
    pipeline_queue: str = "kuajing.pipeline"  # the broker queue of the pipeline tasks (one per deployment)
    pipeline_queue_quorum: bool = False  # RabbitMQ: declare it as a quorum queue (replicated over the cluster)
    pipeline_in_process: bool = True  # inprocess mode: run the pipeline in a thread of the web process
    pipeline_interval_seconds: float = 1.0  # pause between two idle pipeline ticks
    # a busy pipeline ticks at most once per this many seconds, so each tick takes a batch (micro-batching:
    # a tick's fixed work — one statement per step and table — is shared by more parcels); 0: at once again
    pipeline_batch_seconds: float = 1.0
    relay_batch: int = 200  # celery mode: outbox rows (or customs messages) per task
    redispatch_after_seconds: float = 120.0  # celery mode: a published task whose work is still not done is sent again
    worker_concurrency: int = 2  # celery mode: threads per ``kuajing worker`` process
    intake_max_queue_depth: int = 20_000  # back-pressure: intake answers 503 + Retry-After above this (0: off)
    intake_retry_after_seconds: int = 5  # back-pressure: the Retry-After of that 503
    queue_depth_cache_seconds: float = 1.0  # back-pressure: how long one process reuses a measured depth
    metrics_dir: Path | None = None  # Prometheus multiprocess directory (default <var_dir>/metrics)
    metrics_token: SecretStr | None = None  # /metrics requires "Authorization: Bearer <token>" when set
    # where the three-document match (三单对碰), tax, quota, stock and declaration run: "intake" — in the request
    # that completes a parcel's set (the list shows "declared" at once); "pipeline" — in the next pipeline tick,
    # for every complete set together (the answer to the sender is the same; peak throughput is higher)
    match_in: Literal["intake", "pipeline"] = "intake"
    match_timeout_hours: float = 72.0  # an incomplete order/payment/waybill/list set times out after this
    locale: str = "zh_Hans"
    timezone: str = "Asia/Shanghai"
    ceb_spec_dir: Path | None = None  # official XSDs, used by conformance tests only

    # customs exchange (海关通道), kuajing.customs: the built-in simulator or DxpMsg files for a real client
    customs_transport: Literal["sandbox", "file"] = "sandbox"
    customs_outbox_dir: Path | None = None  # default <var_dir>/customs/outbox (file transport)
    customs_inbox_dir: Path | None = None  # default <var_dir>/customs/inbox (file transport)
    customs_dxp_sender_id: str = "DXPENT0000000001"  # our DXP node id (SenderId of DxpMsg)
    customs_dxp_receiver_id: str = "DXPEDCCEB0000002"  # customs CEB receiver (ReceiverId of DxpMsg)
    customs_sandbox_delay_seconds: float = 2.0  # sandbox: seconds between two customs steps
    customs_sandbox_inspection_rate: float = 0.05  # sandbox: share of lists picked for inspection
    customs_sandbox_seed: int = 0  # sandbox: seed of the inspection draw
    customs_sandbox_document_wait_seconds: float = 120.0  # sandbox: how long a list waits for its three documents

    # signing (报文加签/验签), kuajing.certificates: verification of incoming lists, the platform's own signer
    require_signed_declarations: bool | None = None  # refuse unsigned CEB621/623/625 lists; None: on in production
    signer: Literal["sm2-software", "rsa-software", "remote"] = "sm2-software"  # the platform's signer (port kind)
    signer_key_path: Path | None = None  # PEM key; development/test: generated into <var_dir>/keys/ when unset
    signer_cert_path: Path | None = None  # PEM certificate of that key
    signer_remote_url: str | None = None  # remote signer (USB-key bridge, signing server): base URL
    signer_remote_key_id: str | None = None  # remote signer: key id
    signer_remote_token: SecretStr | None = None  # remote signer: bearer token

    # drop folder (文件交换目录), kuajing.imports: a folder per enterprise, named by its DXP id, under the root
    dropfolder_root: Path | None = None  # default <var_dir>/dropfolder
    dropfolder_dirs: dict[str, Path] = Field(default_factory=dict)  # DXP id → folder (absolute or under the root)

    host: str = "127.0.0.1"
    port: int = 8000
    session_max_age_seconds: int = 8 * 3600
    max_request_bytes: int = 10 * 1024 * 1024

    zone_name_zh: str = "中国（包头）跨境电子商务综合试验区"
    zone_name_en: str = "China (Baotou) Cross-border E-commerce Comprehensive Pilot Zone"
    zone_name_ru: str = "Китайская (Баотоу) комплексная пилотная зона трансграничной электронной торговли"
    zone_name_mn: str = "Хятадын (Бугат) хил дамнасан цахим худалдааны иж бүрэн туршилтын бүс"

    def zone_name(self, locale: str) -> str:
        """The zone's name in ``locale``: traditional-script Mongolian takes the Chinese one, as its untranslated
        strings do (kuajing.i18n.FALLBACK); English for any other locale without a name of its own."""
        return {"zh_Hans": self.zone_name_zh, "mn_Mong": self.zone_name_zh, "ru": self.zone_name_ru,
                "mn": self.zone_name_mn}.get(locale, self.zone_name_en)

    demo_logins: bool = Field(default=True, description="show the demo logins on the login page")

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"locale must be one of {', '.join(LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The business time zone (every business date is a date in it)."""
        return ZoneInfo(self.timezone)

    @property
    def signatures_required(self) -> bool:
        """Whether unsigned declaration lists are refused (``require_signed_declarations``; default: production)."""
        if self.require_signed_declarations is None:
            return self.env == "production"
        return self.require_signed_declarations

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file under ``var_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'kuajing.db').resolve()}"

    def secret(self, name: str) -> bytes:
        """A configured secret as bytes (raises when missing)."""
        value = getattr(self, name)
        if value is None:
            raise MissingSecretError(f"KUAJING_{name.upper()} is not set")
        return value.get_secret_value().encode()

    @classmethod
    def load(cls, **overrides) -> Settings:
        """Read the environment; in development generate and persist missing secrets."""
        settings = cls(**overrides)
        missing = [name for name in _SECRET_FIELDS if getattr(settings, name) is None]
        if not missing:
            return settings
        if settings.env == "production":
            names = ", ".join(f"KUAJING_{n.upper()}" for n in missing)
            raise MissingSecretError(f"refusing to start: {names} must be set outside development")
        store = settings.var_dir / "secrets.json"
        # Processes starting together on a fresh var dir must agree on one set of secrets: check and write
        # under one lock, and re-read the store inside it (kuajing.files).
        with files.exclusive(settings.var_dir / ".secrets.lock"):
            stored: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
            changed = False
            for name in missing:
                if name not in stored:
                    stored[name] = secrets.token_hex(16 if name == "encryption_key" else 32)
                    changed = True
            if changed:
                files.write_private(store, json.dumps(stored, indent=2).encode())
        return settings.model_copy(update={name: SecretStr(stored[name]) for name in missing})
