"""Sentinel: a self-hosted cloud cost anomaly detector."""

__version__ = "0.1.0"
