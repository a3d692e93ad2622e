"""Zoom's audit reports, read exactly once, written as NDJSON."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zoom-activity-logs")  # pyproject.toml holds the one version
except PackageNotFoundError:  # a source tree used without installing
    __version__ = "0+unknown"
