"""Errors raised for content the simulator cannot read faithfully."""


class ContentError(Exception):
    """Bad or unsupported content: the message names the file/place when known."""


class SearchSyntaxError(ContentError):
    """A search query outside the supported Datadog syntax; `position` is a 0-based column."""

    def __init__(self, message: str, query: str, position: int):
        self.query = query
        self.position = position
        super().__init__(f"{message} at position {position} in query {query!r}")


class UnsupportedProcessor(ContentError):
    """A processor type, grok matcher or filter the simulator does not implement."""
