"""Install onnxforge into throwaway venvs the way deployment engineers would, and check what pip did.

    python tools/check_installs.py [--only gpu,newest,oldest,no-ort] [--keep]

Each scenario is a fresh ``python -m venv`` in a temporary directory (removed afterwards unless
``--keep``); pip reads the same indexes and config as the caller's. The scenarios:

``gpu``
    ``onnxruntime-gpu`` installed first, then ``pip install -e REPO[gpu]``: no ``onnxruntime`` (CPU)
    distribution appears, ``import onnxruntime`` still works and lists its providers, and
    ``forgec --verify`` runs on the GPU wheel (its CPU provider: verification sessions are CPU).
``newest``
    ``onnxruntime==NEWEST`` installed first, then ``pip install -e REPO[ort]``: onnxruntime is not
    downgraded, and ``forgec --verify`` runs in it.
``oldest``
    The floors of pyproject's ranges installed first (onnxruntime, onnx, numpy, sympy, ml_dtypes), then
    ``pip install -e REPO``: nothing is moved, and real compiles verify: BERT under the transformer
    pipeline (standard and ``--target=ort``) and ResNet under the vision pipeline.
``no-ort``
    ``pip install -e REPO`` alone: no onnxruntime at all; compiling works, ``--verify`` is a one-line
    ``forgec: error:`` naming onnxruntime and onnxruntime-gpu.

Prints one line per check and a summary; exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"

NEWEST_ORT = "1.32.0"
"""The newest onnxruntime on the index when this was last run (2026-12-07)."""
OLDEST = {"onnxruntime": "1.23.2", "onnx": "1.21.0", "numpy": "1.26.0", "sympy": "1.12", "ml_dtypes": "0.5.0"}
"""The floors of pyproject.toml's ranges (tests/test_install_metadata.py keeps the two in step)."""


@dataclass
class Venv:
    root: Path
    log: list[str] = field(default_factory=list)

    @property
    def python(self) -> str:
        return str(self.root / "bin" / "python")

    @property
    def forgec(self) -> str:
        return str(self.root / "bin" / "forgec")

    def run(self, *args: str, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        self.log.append(" ".join(args))
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if check and done.returncode != 0:
            raise RuntimeError(f"`{' '.join(args)}` exited {done.returncode}: {(done.stderr or done.stdout).strip()[-2000:]}")
        return done

    def pip(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-m", "pip", "--disable-pip-version-check", "-q", *args)

    def dists(self) -> dict[str, str]:
        """Installed distributions, name (lower case, ``-`` for ``_``) → version."""
        listed = self.run(self.python, "-m", "pip", "--disable-pip-version-check", "list", "--format=json").stdout
        return {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(listed)}


@dataclass
class Scenario:
    name: str
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, what: str, ok: bool, detail: str = "") -> None:
        self.checks.append((what, ok, detail))
        print(f"  [{'ok' if ok else 'FAIL'}] {what}{': ' + detail if detail else ''}", flush=True)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)


def _forgec(venv: Venv, scenario: Scenario, what: str, *args: str, expect_rc: int = 0) -> subprocess.CompletedProcess[str]:
    start = time.perf_counter()
    done = venv.run(venv.forgec, *args, check=False)
    lines = done.stderr.strip().splitlines() or [""]
    last = next((line for line in reversed(lines) if "verif" in line or "error" in line), lines[-1])
    scenario.check(what, done.returncode == expect_rc,
                   f"rc {done.returncode}, {time.perf_counter() - start:.1f} s: {last[:200]}")
    return done


def _verify_fixtures(venv: Venv, scenario: Scenario, out: Path) -> None:
    bert, resnet = str(FIXTURES / "bert_ts.onnx"), str(FIXTURES / "resnet_ts.onnx")
    _forgec(venv, scenario, "bert_ts --pipeline=transformer --verify", bert, "-o", str(out / "bert.onnx"),
            "--pipeline=transformer", "--verify")
    _forgec(venv, scenario, "bert_ts --pipeline=transformer --target=ort --verify", bert, "-o",
            str(out / "bert_ort.onnx"), "--pipeline=transformer", "--target=ort", "--verify")
    _forgec(venv, scenario, "resnet_ts --pipeline=vision --verify", resnet, "-o", str(out / "resnet.onnx"),
            "--pipeline=vision", "--verify")


def scenario_gpu(venv: Venv, scenario: Scenario) -> None:
    venv.pip("install", "onnxruntime-gpu")
    before = venv.dists()
    venv.pip("install", "-e", f"{REPO}[gpu]")
    after = venv.dists()
    scenario.check("onnxruntime-gpu kept", after.get("onnxruntime-gpu") == before.get("onnxruntime-gpu"),
                   f"{before.get('onnxruntime-gpu')} → {after.get('onnxruntime-gpu')}")
    scenario.check("no onnxruntime (CPU) distribution", "onnxruntime" not in after,
                   f"onnxruntime {after['onnxruntime']}" if "onnxruntime" in after else "")
    done = venv.run(venv.python, "-c", "import onnxruntime; print(onnxruntime.__version__, onnxruntime.get_available_providers())",
                    check=False)
    scenario.check("import onnxruntime; get_available_providers()", done.returncode == 0,
                   (done.stdout or done.stderr).strip().splitlines()[-1] if (done.stdout or done.stderr).strip() else "")
    _forgec(venv, scenario, "bert_ts --pipeline=transformer --verify (the GPU wheel's CPU provider)",
            str(FIXTURES / "bert_ts.onnx"), "-o", str(venv.root / "bert.onnx"), "--pipeline=transformer", "--verify")


def scenario_newest(venv: Venv, scenario: Scenario, newest: str) -> None:
    venv.pip("install", f"onnxruntime=={newest}")
    venv.pip("install", "-e", f"{REPO}[ort]")
    after = venv.dists()
    scenario.check(f"onnxruntime {newest} not downgraded", after.get("onnxruntime") == newest, f"onnxruntime {after.get('onnxruntime')}")
    scenario.check("no onnxruntime-gpu pulled in", "onnxruntime-gpu" not in after)
    _forgec(venv, scenario, "bert_ts --pipeline=transformer --verify", str(FIXTURES / "bert_ts.onnx"),
            "-o", str(venv.root / "bert.onnx"), "--pipeline=transformer", "--verify")


def scenario_oldest(venv: Venv, scenario: Scenario) -> None:
    venv.pip("install", *(f"{name}=={version}" for name, version in OLDEST.items()))
    venv.pip("install", "-e", str(REPO))
    after = venv.dists()
    for name, version in OLDEST.items():
        installed = after.get(name.replace("_", "-"))
        scenario.check(f"{name} {version} kept", installed == version, f"{name} {installed}")
    _verify_fixtures(venv, scenario, venv.root)


def scenario_no_ort(venv: Venv, scenario: Scenario) -> None:
    venv.pip("install", "-e", str(REPO))
    after = venv.dists()
    scenario.check("no onnxruntime distribution", not {"onnxruntime", "onnxruntime-gpu"} & set(after))
    bert = str(FIXTURES / "bert_ts.onnx")
    _forgec(venv, scenario, "bert_ts -o OUT --pipeline=transformer (no --verify)", bert, "-o",
            str(venv.root / "bert.onnx"), "--pipeline=transformer")
    done = _forgec(venv, scenario, "bert_ts --verify fails", bert, "-o", str(venv.root / "bert_v.onnx"),
                   "--pipeline=transformer", "--verify", expect_rc=1)
    lines = done.stderr.strip().splitlines()
    scenario.check("--verify error is one line naming onnxruntime and onnxruntime-gpu",
                   len(lines) == 1 and lines[0].startswith("forgec: error:") and "onnxruntime-gpu" in lines[0],
                   f"{len(lines)} line(s)")
    scenario.check("--verify wrote no output", not (venv.root / "bert_v.onnx").exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="gpu,newest,oldest,no-ort", help="comma-separated scenarios to run")
    parser.add_argument("--newest-ort", default=NEWEST_ORT, help=f"onnxruntime for the `newest` scenario (default {NEWEST_ORT})")
    parser.add_argument("--keep", action="store_true", help="keep the venvs (their paths are printed)")
    args = parser.parse_args(argv)

    scenarios: dict[str, Callable[[Venv, Scenario], None]] = {
        "gpu": scenario_gpu,
        "newest": lambda venv, scenario: scenario_newest(venv, scenario, args.newest_ort),
        "oldest": scenario_oldest,
        "no-ort": scenario_no_ort,
    }
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := [name for name in chosen if name not in scenarios]:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(scenarios)}")

    results = []
    for name in chosen:
        scenario = Scenario(name)
        root = Path(tempfile.mkdtemp(prefix=f"onnxforge-install-{name}-"))
        print(f"{name}: venv {root}", flush=True)
        start = time.perf_counter()
        venv = Venv(root / "venv")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv.root)], check=True)
            scenarios[name](venv, scenario)
            dists = venv.dists()
            shown = ", ".join(f"{d} {dists[d]}" for d in ("onnx", "onnxruntime", "onnxruntime-gpu", "numpy", "ml-dtypes", "sympy", "xdsl") if d in dists)
            print(f"  installed: {shown}", flush=True)
        except Exception as err:  # a failed pip or venv step is this scenario's failure, not the run's
            scenario.check("set up", False, str(err))
        finally:
            scenario.seconds = time.perf_counter() - start
            if args.keep:
                print(f"  kept {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
        results.append(scenario)

    print("\nsummary")
    for scenario in results:
        passed = sum(ok for _, ok, _ in scenario.checks)
        print(f"  {scenario.name:8} {'ok' if scenario.ok else 'FAIL':4} {passed}/{len(scenario.checks)} checks, {scenario.seconds:.0f} s")
    return 0 if all(s.ok for s in results) else 1


if __name__ == "__main__":
    sys.exit(main())
