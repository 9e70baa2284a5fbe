"""The one error type users see: a one-line message naming the file or node and the problem."""


class ForgeError(Exception):
    """A problem with the user's input or request; the CLI prints it as one line and exits 1."""


class InvalidArgument(ForgeError, ValueError):
    """A bad argument to the Python API (``onnxforge.compile(target="ORT")``): a ``ValueError`` naming the
    value, as Python callers expect, and still a ``ForgeError``, as every request error of ours is."""
