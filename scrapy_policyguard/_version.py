"""The package version, in one place (read by the build backend and the audit trail)."""

__version__ = "0.1.0"
