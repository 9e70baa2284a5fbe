"""The one error type users see: a one-line message naming the file or node and the problem."""


class ForgeError(Exception):
    """A problem with the user's input or request; the CLI prints it as one line and exits 1."""
