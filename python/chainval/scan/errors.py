"""Errors of the ``chainval`` commands and their exit statuses (docs/scan.md,
"Exit status", one table for every command):

====  ===========================================================
0     done (malformed rows included)
1     runtime error (an I/O failure during the work)
2     usage or input error (found before the work starts)
3     done, with malformed rows, and ``--fail-on-malformed`` given
130   interrupted (Ctrl-C); what was written is complete, ``--resume`` goes on
====  ===========================================================

:func:`chainval.cli.main` turns these exceptions into one line on stderr (never
a traceback) and the status."""

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_MALFORMED = 3
EXIT_INTERRUPTED = 130


def os_reason(e: BaseException) -> str:
    """Why an I/O call failed, for a message: an ``OSError``'s text without
    its errno and path ("No space left on device"), else the exception's."""
    return str(getattr(e, "strerror", None) or e)


class UsageError(Exception):
    """A mistake on the command line or in its inputs, found before the work starts."""


class RunError(Exception):
    """The work could not go on (a write failed, a disk is full). ``hint`` says
    what to do next (e.g. ``--resume``)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
