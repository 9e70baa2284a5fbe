"""Shared test helpers: the committed fixtures and onnxruntime sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_MODELS = sorted(FIXTURES.glob("*.onnx"))


@pytest.fixture(params=FIXTURE_MODELS, ids=lambda p: p.stem)
def fixture_model(request: pytest.FixtureRequest) -> Path:
    return request.param


# --- textual-IR tests: tests/filecheck/**/*.mlir, run in-process ------------------------------------

import contextlib  # noqa: E402
import io  # noqa: E402
import shlex  # noqa: E402
import tempfile  # noqa: E402


def pytest_collect_file(parent: pytest.Collector, file_path: Path):  # type: ignore[no-untyped-def]
    if file_path.suffix == ".mlir" and "filecheck" in file_path.parts:
        return MlirFile.from_parent(parent, path=file_path)
    return None


class MlirFile(pytest.File):
    """One item per ``// RUN:`` line: ``xdsl-opt ARGS | filecheck %s [ARGS]`` or ``forgec ARGS | …`` (lit syntax)."""

    def collect(self):  # type: ignore[no-untyped-def]
        for number, line in enumerate(self.path.read_text().splitlines(), 1):
            if line.startswith("// RUN:"):
                yield MlirRunItem.from_parent(self, name=f"RUN@{number}", command=line[len("// RUN:"):].strip())


def _xdsl_opt(args: list[str]) -> int:
    """Plain xdsl-opt, in-process: our dialects and passes reach it through the ``xdsl.universe`` entry point."""
    from xdsl.xdsl_opt_main import xDSLOptMain

    try:
        xDSLOptMain(args=args).run()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def _forgec(args: list[str]) -> int:
    from onnxforge.cli.forgec import main

    return main(args)


PRODUCERS = {"xdsl-opt": _xdsl_opt, "forgec": _forgec}


class MlirRunItem(pytest.Item):
    def __init__(self, *, command: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.command = command

    def runtest(self) -> None:
        from filecheck.matcher import Matcher
        from filecheck.options import parse_argv_options

        producer, _, checker = (part.strip() for part in self.command.partition("|"))
        producer_args = [str(self.path) if a == "%s" else a for a in shlex.split(producer)]
        checker_args = [str(self.path) if a == "%s" else a for a in shlex.split(checker)]
        assert producer_args[0] in PRODUCERS and checker_args[0] == "filecheck", self.command
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = PRODUCERS[producer_args[0]](producer_args[1:])
        assert code == 0, f"{producer_args[0]} exited {code}: {err.getvalue()}"
        with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as handle:
            handle.write(out.getvalue())
        report = io.StringIO()
        matcher = Matcher.from_opts(parse_argv_options(["filecheck", *checker_args[1:], "--input-file", handle.name]))
        matcher.stderr = report
        code = matcher.run()
        Path(handle.name).unlink()
        if code != 0:
            raise AssertionError(f"filecheck failed:\n{report.getvalue()}\n--- {producer_args[0]} output ---\n{out.getvalue()}")

    def reportinfo(self):  # type: ignore[no-untyped-def]
        return self.path, 0, f"{self.path.name}: {self.command}"
