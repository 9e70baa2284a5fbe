"""The fuzzer lives in tools/fuzzer (a development tool, not part of the package): put tools/ on the path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
