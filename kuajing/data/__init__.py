"""Maintained, versioned, effective-dated reference tables (维护的参考数据): customs monthly exchange rates,
the public-holiday calendar and HS tax rates, with their import command."""
