"""Accounts and access (账户与权限): users, roles, web sessions, API keys, the request principal."""
