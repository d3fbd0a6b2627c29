"""Stable error codes of accounts and access (账户与权限)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, FieldIssue, validation_error
from kuajing.i18n import lazy


class AccountsError(StrEnum):
    """Every error code this domain answers with (documented in docs/accounts.md)."""

    password_too_short = "password_too_short"
    password_contains_username = "password_contains_username"
    password_required = "password_required"
    username_invalid = "username_invalid"
    username_taken = "username_taken"
    display_name_required = "display_name_required"
    role_unknown = "role_unknown"
    role_required = "role_required"
    role_not_allowed = "role_not_allowed"
    enterprise_required = "enterprise_required"
    enterprise_not_allowed = "enterprise_not_allowed"
    enterprise_unknown = "enterprise_unknown"
    bank_not_finance = "bank_not_finance"  # a bank / insurer user of an enterprise that is not a financial one
    locale_unknown = "locale_unknown"
    invalid_credentials = "invalid_credentials"
    account_locked = "account_locked"
    api_key_invalid = "api_key_invalid"
    api_key_revoked = "api_key_revoked"
    api_key_not_found = "api_key_not_found"
    api_key_name_required = "api_key_name_required"
    user_not_found = "user_not_found"
    csrf_failed = "csrf_failed"


def field_error(code: AccountsError, path: str, message: str, value: Any = None, **params: Any) -> AppError:
    """A 422 with one field issue."""
    return validation_error([FieldIssue(code.value, path, message, value, params)])


class AccountLocked(AppError):
    """Too many failed logins: the account is locked for a while."""

    def __init__(self, minutes: int):
        super().__init__(
            AccountsError.account_locked.value,
            lazy("Account locked"),
            status=429,
            detail=lazy("Too many failed logins. Try again in {minutes} minute(s)."),
            errors=[FieldIssue(AccountsError.account_locked.value, "username",
                               lazy("Too many failed logins. Try again in {minutes} minute(s)."), None, {"minutes": minutes})],
            minutes=minutes,
        )


class ApiKeyRejected(AppError):
    """An API key was sent but is unknown or revoked (401)."""

    def __init__(self, code: AccountsError):
        detail = (lazy("This API key has been revoked.") if code is AccountsError.api_key_revoked
                  else lazy("This API key is not valid."))
        super().__init__(
            code.value,
            lazy("Authentication required"),
            status=401,
            detail=detail,
            headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
        )


class CsrfFailed(AppError):
    """A form post without the right anti-forgery token."""

    def __init__(self):
        super().__init__(
            AccountsError.csrf_failed.value,
            lazy("Forbidden"),
            status=403,
            detail=lazy("The form has expired or did not come from this site. Reload the page and try again."),
        )
