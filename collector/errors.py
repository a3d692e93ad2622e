"""Errors that end a run with one clear line and a documented exit code.

Every failure a user can cause or meet (bad flags, bad dates, wrong credentials,
missing scopes, an unreachable API, a closed stdout) is one of these; the CLI
prints ``str(error)`` on one stderr line and exits with ``error.exit_code``.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class CollectorError(Exception):
    exit_code = 1


class UsageError(CollectorError):
    """Bad flags, dates or environment: nothing was requested from Zoom."""

    exit_code = 2


class AuthError(CollectorError):
    """Zoom refused the credentials (wrong, deactivated or revoked app)."""

    exit_code = 3


class ScopeError(CollectorError):
    """Zoom refused a report: a missing scope, report permission or feature (the meeting audit trail)."""

    exit_code = 4

    def __init__(self, message: str, log_type: str | None = None):
        super().__init__(message)
        self.log_type = log_type  # the report Zoom refused, when it is one report


class ApiError(CollectorError):
    """Zoom unreachable, or it kept failing after every retry, or refused a request."""

    exit_code = 5


class OutputClosed(CollectorError):
    """The reader of our output went away; state was not advanced past what it got."""

    exit_code = 6


class StateError(CollectorError):
    """The state file is unreadable, from another account, or in use."""

    exit_code = 7


class PageTokenExpired(Exception):
    """Zoom answered 400/300 to a next_page_token: the window must restart from page one."""


EXIT_CODES = {
    0: "success",
    1: "internal error (a bug: please report it with the traceback)",
    2: UsageError.__doc__,
    3: AuthError.__doc__,
    4: ScopeError.__doc__,
    5: ApiError.__doc__,
    6: OutputClosed.__doc__,
    7: StateError.__doc__,
    130: "interrupted (Ctrl-C / SIGTERM); state is consistent",
}
