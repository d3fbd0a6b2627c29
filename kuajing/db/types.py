"""Column types exact on SQLite and PostgreSQL: Money, ExactDecimal, UTCDateTime, EncryptedStr.

* ``Money`` (金额) stores CNY or foreign amounts exactly to the fen: NUMERIC(20,2) on PostgreSQL, an
  integer count of hundredths on SQLite (SQLite's NUMERIC is a float). ``func.sum`` keeps the type,
  so aggregates come back as ``Decimal`` on both. A value with more than two decimals is refused: the
  rule that rounds (half-up to the fen) must do so explicitly before storing.
* ``EncryptedStr`` (加密个人信息) encrypts personal data at rest with SM4-GCM (GB/T 32907), the cipher a
  commercial-cryptography assessment (商用密码应用安全性评估) expects; pair it with a ``blind_index``
  column (HMAC-SM3 keyed hash) to look values up without decrypting.
"""

from __future__ import annotations

import base64
import functools
import hmac as _hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import BigInteger, DateTime, Numeric, String, Text
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator):
    """A decimal with a fixed scale, exact on both databases."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 20, scale: int = 2):
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)
        self._factor = Decimal(10) ** scale

    def __repr__(self) -> str:
        # Alembic autogenerate renders the type with repr(): keep precision and scale in the migration
        if type(self) is ExactDecimal:
            return f"ExactDecimal({self.precision}, {self.scale})"
        return f"{type(self).__name__}()"

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def _coerce(self, value) -> Decimal:
        if isinstance(value, float):
            raise TypeError("floats never touch money: pass a Decimal or a string")
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal: {value!r}") from exc
        if not number.is_finite():
            raise ValueError(f"not a finite decimal: {value!r}")
        if number != number.quantize(self._quantum):
            raise ValueError(f"{value!r} has more than {self.scale} decimal places; round it by its rule first")
        if number.adjusted() >= self.precision - self.scale:
            raise ValueError(f"{value!r} exceeds {self.precision} digits")
        return number.quantize(self._quantum)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        number = self._coerce(value)
        if dialect.name == "sqlite":
            return int(number * self._factor)
        return number

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, float):  # e.g. avg(); keep what SQLite computed, exactly as printed
                return Decimal(repr(value))
            return (Decimal(int(value)) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


class Money(ExactDecimal):
    """An amount to the fen (0.01), up to 16 integer digits (fits a 64-bit integer of fen on SQLite)."""

    cache_ok = True

    def __init__(self):
        super().__init__(precision=18, scale=2)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware instants")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# --- personal data protection (个人信息保护) ------------------------------------------------------


@dataclass(frozen=True)
class Keyring:
    """The keys for personal data: SM4 encryption and the HMAC-SM3 lookup key."""

    encryption_key: bytes  # 16 bytes
    lookup_key: bytes

    @classmethod
    def from_settings(cls, settings) -> Keyring:
        """Build the keyring from the settings' hex secrets."""
        enc = settings.secret("encryption_key").decode()
        key = bytes.fromhex(enc) if len(enc) == 32 else _derive(enc.encode(), b"sm4")
        return cls(encryption_key=key, lookup_key=settings.secret("lookup_key"))


def _derive(secret: bytes, label: bytes) -> bytes:
    mac = crypto_hmac.HMAC(secret, hashes.SM3())
    mac.update(label)
    return mac.finalize()[:16]


_keyring: Keyring | None = None


def configure_keyring(keyring: Keyring) -> None:
    """Install the keyring used by EncryptedStr and blind_index (called once at process start)."""
    global _keyring
    _keyring = keyring
    _decrypt_cached.cache_clear()
    _blind_index_cached.cache_clear()


def _require_keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("personal-data keyring not configured: call configure_keyring() at start-up")
    return _keyring


_SM4_PREFIX = "sm4gcm1:"


def encrypt_text(plain: str) -> str:
    """SM4-GCM encrypt ``plain``: ``sm4gcm1:`` + base64(nonce || ciphertext || tag)."""
    key = _require_keyring().encryption_key
    nonce = os.urandom(12)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = enc.update(plain.encode("utf-8")) + enc.finalize()
    return _SM4_PREFIX + base64.b64encode(nonce + body + enc.tag).decode("ascii")


#: how many decrypted values (and blind indexes) a process keeps: a row read again by the next pipeline step
#: (a list at each customs status, the sandbox's declaration at each step) is not decrypted again
_CACHED_VALUES = 8192


def decrypt_text(token: str) -> str:
    """Reverse :func:`encrypt_text`; a tampered value raises ``ValueError``. Each token is unique (random
    nonce), so the small per-process cache of recent tokens only ever returns that token's own plain text."""
    return _decrypt_cached(token)


@functools.lru_cache(maxsize=_CACHED_VALUES)
def _decrypt_cached(token: str) -> str:
    if not token.startswith(_SM4_PREFIX):
        raise ValueError("not an SM4-GCM token")
    raw = base64.b64decode(token[len(_SM4_PREFIX):])
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(algorithms.SM4(_require_keyring().encryption_key), modes.GCM(nonce, tag)).decryptor()
    try:
        return (dec.update(body) + dec.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise ValueError("personal data failed its integrity check") from exc


def blind_index(value: str) -> str:
    """Keyed hash (HMAC-SM3, hex) of a normalised value, for equality lookups of encrypted data."""
    return _blind_index_cached(value)


@functools.lru_cache(maxsize=_CACHED_VALUES)
def _blind_index_cached(value: str) -> str:
    normalised = "".join(value.split()).upper()
    mac = crypto_hmac.HMAC(_require_keyring().lookup_key, hashes.SM3())
    mac.update(normalised.encode("utf-8"))
    return mac.finalize().hex()


def blind_index_equals(a: str, b: str) -> bool:
    """Constant-time comparison of two blind indexes."""
    return _hmac.compare_digest(a, b)


class EncryptedStr(TypeDecorator):
    """A string encrypted at rest with SM4-GCM; the database never sees the plain text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt_text(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt_text(value)


BlindIndex = String(64)  # column type for blind_index values


def without_personal_data(model):
    """A loader option that leaves ``model``'s encrypted columns unloaded (``defer``): for a batch that only
    reads and changes states, so rows are not decrypted for nothing. A deferred column read anyway is
    loaded (and decrypted) on first access, one row at a time — correct, only slower."""
    from sqlalchemy.orm import defer

    columns = [attr for attr in model.__mapper__.column_attrs
               if any(isinstance(c.type, EncryptedStr) for c in attr.columns)]
    return [defer(getattr(model, attr.key)) for attr in columns]


def mask(value: str | None, *, keep_start: int = 4, keep_end: int = 4, char: str = "*") -> str:
    """Mask personal data for display and logs: ``150203199001051234`` → ``1502**********1234``."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        keep = max(1, len(value) // 4)
        return value[:keep] + char * (len(value) - 2 * keep) + value[-keep:] if len(value) > 2 else char * len(value)
    return value[:keep_start] + char * (len(value) - keep_start - keep_end) + value[len(value) - keep_end:]


def mask_name(name: str | None) -> str:
    """Mask a person's name: keep the first character (张三丰 → 张**)."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """Mask a phone number: 13800001234 → 138****1234."""
    return mask(phone, keep_start=3, keep_end=4)
