"""A mistake on the command line: raised by a subcommand before its work starts,
reported by :func:`chainval.cli.main` with exit status 2."""


class UsageError(Exception):
    pass
