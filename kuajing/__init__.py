"""Kuajing: the online public service platform (线上综合服务平台) of a cross-border e-commerce pilot zone."""

__version__ = "0.1.0"
