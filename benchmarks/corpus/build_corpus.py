"""Rebuild the real-model corpus: small random-weight ONNX models from many exporters.

Why: onnxforge's fixtures come from the two torch exporters; real users bring graphs from
Paddle, TensorFlow/Keras, scikit-learn, LightGBM/XGBoost, hand-built spox graphs and Optimum,
each with its own idioms (separate bias Adds, ZipMap, Shape chains around LSTM states, ...).
This script rebuilds one model set per exporter family, every model from a config or a layer
list with fixed seeds (no hub, no pretrained weights), so the same command gives the same graphs
and weights: byte-identical files, except tf2onnx's, whose generated tensor names and node order
vary from run to run (the weights and op sequence do not).

Every family runs in its own virtual environment, ``venvs/<venv>`` beside this file, created
here with pinned versions, so conflicting stacks (TensorFlow's protobuf 3, Paddle, the
transformers 4.x that Optimum needs) never touch the main environment::

    python benchmarks/corpus/build_corpus.py                 # every family
    python benchmarks/corpus/build_corpus.py --only tf2onnx  # one family; others kept
    python benchmarks/corpus/build_corpus.py --list          # families, venvs, pins, models

The models land in ``models/`` (ignored by git); ``corpus.json`` (committed) lists each one
with its exporter and version, producer as written in the file, source model, opsets, node
count, size, checksum and the input shapes to run it with. After a family is built, this main
process (which needs only onnx, onnxruntime and numpy) checks every model with
``onnx.checker.check_model`` and runs it once in onnxruntime; a failure is recorded in the
entry (``"check"``), never raised. ``--worker FAMILY`` is the half that runs inside a venv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MODELS = HERE / "models"
VENVS = HERE / "venvs"
CORPUS_JSON = HERE / "corpus.json"
SEED = 0

# Wheels of torch CPU lie on this machine's disk; an unpinned torch would pull a CUDA build of
# several GB from PyPI. Every install is constrained to this one.
TORCH_PIN = "torch==2.13.0"


@dataclass(frozen=True)
class Family:
    """One exporter family: the venv it runs in, the packages whose versions name the exporter."""

    venv: str
    label: str  # the exporter as corpus.json names it
    exporter: tuple[str, ...]  # distributions whose versions identify the exporter
    doc: str


@dataclass(frozen=True)
class Venv:
    """A virtual environment: pinned requirements, installed in order (one pip call per group)."""

    groups: tuple[tuple[str, ...], ...]


VENV_SPECS: dict[str, Venv] = {
    # paddle2onnx 2.1.0 caps onnx at 1.17.0 (and pulls onnxoptimizer 0.3.13 and polygraphy).
    "paddle": Venv((("numpy==1.26.4", "paddlepaddle==3.2.2", "paddle2onnx==2.1.0",
                     "onnx==1.17.0", "protobuf==5.29.5", "packaging==25.0"),)),
    "tf": Venv((("numpy==1.26.4", "protobuf==3.20.3", "tensorflow-cpu==2.15.1",
                 "tf2onnx==1.16.1", "onnx==1.16.2"),)),
    "sklearn": Venv((("numpy==2.2.6", "scikit-learn==1.6.1", "skl2onnx==1.19.1",
                      "onnx==1.18.0", "protobuf==5.29.5", "packaging==25.0"),)),
    "mltools": Venv((("numpy==2.2.6", "scikit-learn==1.6.1", "onnxmltools==1.14.0",
                      "lightgbm==4.6.0", "xgboost-cpu==2.1.4", "onnx==1.18.0", "protobuf==5.29.5",
                      "packaging==25.0"),)),
    "torch": Venv(((TORCH_PIN,), ("numpy==2.4.6", "onnx==1.23.2", "onnxscript==0.7.2",
                                  "onnx-ir==1.1.0", "transformers==5.23.0"))),
    "spox": Venv((("numpy==2.2.6", "spox==0.18.2", "onnx==1.18.0", "protobuf==5.29.5"),)),
    # optimum-onnx 0.1.0 (the exporter split out of optimum 2) needs optimum ~=2.1.0 and
    # transformers >=4.36,<4.58: the last 4.x release is the pair that installs.
    "optimum": Venv(((TORCH_PIN,), ("numpy==2.4.6", "optimum==2.1.0", "optimum-onnx==0.1.0",
                                    "transformers==4.57.6", "onnx==1.23.2",
                                    "onnxruntime==1.31.1"))),
}

FAMILIES: dict[str, Family] = {
    "paddle2onnx": Family("paddle", "paddle2onnx", ("paddle2onnx", "paddlepaddle"),
                          "paddle.vision models and a Conv + separate bias Add classifier"),
    "tf2onnx": Family("tf", "tf2onnx (from_keras)", ("tf2onnx", "tensorflow-cpu"),
                      "Keras applications, LSTM/GRU text models and a CNN"),
    "skl2onnx": Family("sklearn", "skl2onnx", ("skl2onnx", "scikit-learn"),
                       "scikit-learn classifiers, pipelines and KMeans (ai.onnx.ml)"),
    "onnxmltools": Family("mltools", "onnxmltools", ("onnxmltools", "lightgbm", "xgboost-cpu"),
                          "LightGBM and XGBoost models"),
    "torch-legacy": Family("torch", "torch.onnx.export(dynamo=False)", ("torch",),
                           "TorchScript exporter, opsets 11-13, constant folding"),
    "spox": Family("spox", "spox", ("spox", "onnx"),
                   "hand-built graphs, constants inside If branches, a Loop"),
    "optimum": Family("optimum", "optimum-onnx main_export",
                      ("optimum-onnx", "optimum", "transformers", "torch"),
                      "Hugging Face Optimum export of tiny random BERT/DistilBERT/GPT-2"),
    "torch-dynamo": Family("torch", "torch.onnx.export(dynamo=True)", ("torch", "onnxscript"),
                           "dynamo exporter of tiny Hugging Face models (tools/hf_zoo.py)"),
    "onnx-model-zoo": Family("spox", "onnx-caffe2 (ONNX model zoo, IR 3)", ("onnx",),
                             "model zoo networks shipped in the onnx wheel, weights made real"),
}


# ---------------------------------------------------------------------------------------------
# Venvs


def venv_python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def ensure_venv(name: str) -> float:
    """Create ``venvs/<name>`` with its pins unless a stamp says it is already there; return
    the seconds spent."""
    spec = VENV_SPECS[name]
    root = VENVS / name
    stamp = root / "corpus-stamp.json"
    want = json.dumps([list(g) for g in spec.groups])
    if stamp.exists() and stamp.read_text() == want and venv_python(name).exists():
        return 0.0
    start = time.perf_counter()
    VENVS.mkdir(parents=True, exist_ok=True)
    if not venv_python(name).exists():
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    constraints = root / "constraints.txt"
    constraints.write_text(TORCH_PIN + "\n")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for group in spec.groups:
        print(f"[{name}] pip install {' '.join(group)}", flush=True)
        pip = subprocess.run([str(venv_python(name)), "-m", "pip", "install", "-q", "-c",
                              str(constraints), *group], env=env, capture_output=True,
                             text=True)
        if pip.returncode:
            raise RuntimeError(f"pip install {' '.join(group)} failed:\n{pip.stderr[-3000:]}")
    freeze = subprocess.run([str(venv_python(name)), "-m", "pip", "freeze"], check=True,
                            capture_output=True, text=True, env=env).stdout
    (root / "freeze.txt").write_text(freeze)
    stamp.write_text(want)
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# Worker side: runs inside a family's venv. Every builder returns a list of model records
# {"file", "source", "inputs": {name: {"shape": [...], "range": [lo, hi]?}}, "notes"?}.


class Records(list):
    """The records of one family; ``with records.model(file, source, inputs):`` around one
    model's build records a failure in that model's record instead of stopping the family."""

    @contextmanager
    def model(self, file: str, source: str, inputs: dict):
        rec = {"file": file, "source": source, "inputs": inputs}
        try:
            yield rec
        except Exception:  # recorded, checked by the main process
            rec["error"] = traceback.format_exc()[-3000:]
        self.append(rec)


def _inp(shape, lo=None, hi=None) -> dict:
    spec = {"shape": list(shape)}
    if lo is not None:
        spec["range"] = [lo, hi]
    return spec


def build_paddle2onnx(out: Path) -> list[dict]:
    import numpy as np
    import paddle
    from paddle import nn
    from paddle.static import InputSpec

    class ConvBiasAdd(nn.Layer):
        """A small classifier whose convolutions carry no bias of their own: the bias is a
        parameter added afterwards (as in PaddleOCR/PaddleDetection heads), so the export has
        Conv followed by a separate Add of a [1, C, 1, 1] constant."""

        def __init__(self, classes=10):
            super().__init__()
            self.c1 = nn.Conv2D(3, 16, 3, padding=1, bias_attr=False)
            self.b1 = self.create_parameter([1, 16, 1, 1], is_bias=True)
            self.c2 = nn.Conv2D(16, 32, 3, stride=2, padding=1, bias_attr=False)
            self.b2 = self.create_parameter([1, 32, 1, 1], is_bias=True)
            self.bn = nn.BatchNorm2D(32)
            self.c3 = nn.Conv2D(32, 32, 3, padding=1)
            self.pool = nn.AdaptiveAvgPool2D(1)
            self.fc = nn.Linear(32, classes)
            for b in (self.b1, self.b2):
                b.set_value(paddle.randn(b.shape) * 0.1)

        def forward(self, x):
            x = nn.functional.relu(self.c1(x) + self.b1)
            x = nn.functional.relu(self.bn(self.c2(x) + self.b2))
            x = nn.functional.relu(self.c3(x))
            return nn.functional.softmax(self.fc(paddle.flatten(self.pool(x), 1)), -1)

    from paddle.vision import models as pm

    specs = [
        ("mobilenet_v2", lambda: pm.mobilenet_v2(scale=0.5, num_classes=10), [1, 3, 64, 64],
         "paddle.vision.models.mobilenet_v2(scale=0.5, num_classes=10)", 13),
        ("mobilenet_v3_small", lambda: pm.mobilenet_v3_small(scale=0.5, num_classes=10),
         [1, 3, 64, 64], "paddle.vision.models.mobilenet_v3_small(scale=0.5, num_classes=10)",
         13),
        ("shufflenet_v2", lambda: pm.shufflenet_v2_x0_25(num_classes=10), [1, 3, 64, 64],
         "paddle.vision.models.shufflenet_v2_x0_25(num_classes=10)", 11),
        ("squeezenet", lambda: pm.squeezenet1_1(num_classes=10), [1, 3, 64, 64],
         "paddle.vision.models.squeezenet1_1(num_classes=10)", 11),
        ("conv_bias_add", ConvBiasAdd, [1, 3, 32, 32],
         "Conv2D(bias_attr=False) + bias parameter Add classifier", 13),
    ]
    records = Records()
    for name, make, shape, source, opset in specs:
        prefix = out / f"paddle_{name}"
        with records.model(prefix.name + ".onnx", source, {"x": _inp(shape)}):
            paddle.seed(SEED)
            np.random.seed(SEED)
            layer = make()
            layer.eval()
            spec = [InputSpec(shape=[None, *shape[1:]], dtype="float32", name="x")]
            paddle.onnx.export(layer, str(prefix), input_spec=spec, opset_version=opset)
    return records


def build_tf2onnx(out: Path) -> list[dict]:
    import tensorflow as tf
    import tf2onnx

    k = tf.keras

    def small_cnn():
        return k.Sequential([
            k.layers.Input((32, 32, 3)),
            k.layers.Conv2D(16, 3, padding="same"), k.layers.BatchNormalization(),
            k.layers.ReLU(), k.layers.MaxPooling2D(),
            k.layers.Conv2D(32, 3, padding="same", activation="relu"),
            k.layers.Dropout(0.2), k.layers.Flatten(), k.layers.Dense(10, activation="softmax"),
        ])

    def lstm_text():
        return k.Sequential([
            k.layers.Input((20,), dtype="int32"), k.layers.Embedding(1000, 32),
            k.layers.LSTM(32), k.layers.Dense(2, activation="softmax"),
        ])

    def gru_text():
        return k.Sequential([
            k.layers.Input((20,), dtype="int32"), k.layers.Embedding(1000, 32),
            k.layers.Bidirectional(k.layers.GRU(16, return_sequences=True)),
            k.layers.GlobalMaxPooling1D(), k.layers.Dense(4, activation="softmax"),
        ])

    specs = [
        ("mobilenet_v2", lambda: k.applications.MobileNetV2(
            input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10), (96, 96, 3),
         "float32", "keras.applications.MobileNetV2(alpha=0.35, 96x96, weights=None)", 13, None),
        ("efficientnet_b0", lambda: k.applications.EfficientNetB0(
            input_shape=(64, 64, 3), weights=None, classes=10), (64, 64, 3), "float32",
         "keras.applications.EfficientNetB0(64x64, weights=None, classes=10)", 15, None),
        ("small_cnn", small_cnn, (32, 32, 3), "float32",
         "Sequential Conv-BN-ReLU-MaxPool-Conv-Flatten-Dense", 13, None),
        ("lstm_text", lstm_text, (20,), "int32", "Sequential Embedding(1000,32)-LSTM(32)-Dense",
         13, 1000),
        ("gru_text", gru_text, (20,), "int32",
         "Sequential Embedding-Bidirectional(GRU(16))-GlobalMaxPool-Dense", 15, 1000),
    ]
    records = Records()
    for name, make, shape, dtype, source, opset, vocab in specs:
        path = out / f"tf_{name}.onnx"
        inp = _inp((1, *shape), 0, vocab) if vocab else _inp((1, *shape))
        with records.model(path.name, source, {"input": inp}):
            k.backend.clear_session()
            k.utils.set_random_seed(SEED)
            model = make()
            sig = (tf.TensorSpec((None, *shape), getattr(tf, dtype), name="input"),)
            tf2onnx.convert.from_keras(model, input_signature=sig, opset=opset,
                                       output_path=str(path))
    return records


def _classification(n_features=8, classes=3, n=300):
    from sklearn.datasets import make_classification

    return make_classification(n_samples=n, n_features=n_features, n_informative=5,
                               n_classes=classes, random_state=SEED)


def build_skl2onnx(out: Path) -> list[dict]:
    import numpy as np
    from skl2onnx import to_onnx
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    X, y = _classification()
    X = X.astype(np.float32)
    specs = [
        ("logreg", LogisticRegression(max_iter=500), "LogisticRegression (3 classes)"),
        ("random_forest", RandomForestClassifier(n_estimators=10, max_depth=6,
                                                 random_state=SEED),
         "RandomForestClassifier(10 trees, depth 6)"),
        ("scaler_svc", make_pipeline(StandardScaler(), SVC(random_state=SEED)),
         "Pipeline(StandardScaler, SVC rbf)"),
        ("scaler_pca_mlp", make_pipeline(StandardScaler(), PCA(6, random_state=SEED),
                                         MLPClassifier((32, 16), max_iter=300,
                                                       random_state=SEED)),
         "Pipeline(StandardScaler, PCA(6), MLPClassifier(32,16))"),
        ("kmeans", KMeans(4, n_init=3, random_state=SEED), "KMeans(4 clusters)"),
    ]
    records = Records()
    for name, est, source in specs:
        path = out / f"skl_{name}.onnx"
        with records.model(path.name, source, {"X": _inp((4, X.shape[1]))}):
            est.fit(X, y)
            onx = to_onnx(est, X[:1])  # the input is named "X"
            path.write_bytes(onx.SerializeToString())
    return records


def build_onnxmltools(out: Path) -> list[dict]:
    import lightgbm as lgb
    import numpy as np
    import onnxmltools
    import xgboost as xgb
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = _classification(n_features=10)
    X = X.astype(np.float32)
    yb = (y > 0).astype(int)
    types = [("input", FloatTensorType([None, X.shape[1]]))]
    common = dict(n_estimators=20, random_state=SEED)
    specs = [
        ("lgbm_classifier", lambda: lgb.LGBMClassifier(num_leaves=15, verbose=-1,
                                                       **common).fit(X, y),
         onnxmltools.convert_lightgbm, "lightgbm.LGBMClassifier(20 trees, 3 classes)"),
        ("lgbm_regressor", lambda: lgb.LGBMRegressor(num_leaves=15, verbose=-1,
                                                     **common).fit(X, X[:, 0] * 2 + y),
         onnxmltools.convert_lightgbm, "lightgbm.LGBMRegressor(20 trees)"),
        ("xgb_classifier", lambda: xgb.XGBClassifier(max_depth=4, **common).fit(X, yb),
         onnxmltools.convert_xgboost, "xgboost.XGBClassifier(20 trees, binary)"),
    ]
    records = Records()
    for name, fit, convert, source in specs:
        path = out / f"mltools_{name}.onnx"
        with records.model(path.name, source, {"input": _inp((4, X.shape[1]))}):
            onx = convert(fit(), initial_types=types, target_opset=15)
            onx.graph.name = path.stem  # onnxmltools names the graph with a fresh uuid4
            path.write_bytes(onx.SerializeToString())
    return records


def build_torch_legacy(out: Path) -> list[dict]:
    import torch
    from torch import nn

    class LSTMTagger(nn.Module):
        """Initial states built from the input's batch size: the TorchScript exporter turns
        them into Shape/Gather/Unsqueeze/Concat/ConstantOfShape chains around the LSTM."""

        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(500, 32)
            self.lstm = nn.LSTM(32, 48, num_layers=2, batch_first=True)
            self.head = nn.Linear(48, 5)

        def forward(self, ids):
            x = self.emb(ids)
            h0 = torch.zeros(2, x.size(0), 48)
            c0 = torch.zeros(2, x.size(0), 48)
            y, _ = self.lstm(x, (h0, c0))
            return self.head(y)

    class GRUEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(16, 32, bidirectional=True)
            self.head = nn.Linear(64, 3)

        def forward(self, x):  # x: [seq, batch, 16]
            h0 = x.new_zeros(2, x.shape[1], 32)
            y, h = self.gru(x, h0)
            return self.head(y[-1]), h

    class ConvBNNet(nn.Module):
        def __init__(self):
            super().__init__()
            layers, c = [], 3
            for w in (16, 32, 64):
                layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w),
                           nn.ReLU(inplace=True), nn.MaxPool2d(2)]
                c = w
            self.features = nn.Sequential(*layers)
            self.fc = nn.Linear(64 * 4 * 4, 10)

        def forward(self, x):
            x = self.features(x)
            return self.fc(x.view(x.size(0), -1))  # the classic Shape/Gather/Concat flatten

    class HalfMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 16, 3, padding=1)
            self.norm = nn.LayerNorm(16)
            self.fc1 = nn.Linear(16, 64)
            self.fc2 = nn.Linear(64, 10)

        def forward(self, x):
            x = torch.relu(self.conv(x)).mean(dim=(2, 3))
            x = self.fc2(nn.functional.gelu(self.fc1(self.norm(x))))
            return torch.softmax(x, -1)

    specs = [
        ("lstm_states", LSTMTagger, {"ids": torch.randint(0, 500, (2, 12))},
         {"ids": {0: "batch", 1: "seq"}}, 11, "nn.Embedding + 2-layer nn.LSTM with zero "
         "(h0, c0) from the batch size + Linear", {"ids": _inp((3, 12), 0, 500)}),
        ("gru_states", GRUEncoder, {"x": torch.randn(12, 2, 16)}, {"x": {0: "seq", 1: "batch"}},
         12, "bidirectional nn.GRU with h0 = x.new_zeros(...) + Linear",
         {"x": _inp((12, 3, 16))}),
        ("conv_bn", ConvBNNet, {"x": torch.randn(2, 3, 32, 32)}, {"x": {0: "batch"}}, 13,
         "3 x (Conv-BN-ReLU-MaxPool) + view(x.size(0), -1) + Linear",
         {"x": _inp((2, 3, 32, 32))}),
        ("fp16", HalfMLP, {"x": torch.randn(2, 3, 16, 16)}, {"x": {0: "batch"}}, 13,
         "Conv-ReLU-mean-LayerNorm-Linear-GELU-Linear-Softmax, model.half()",
         {"x": _inp((2, 3, 16, 16))}),
    ]
    records = Records()
    for name, make, inputs, axes, opset, source, run_inputs in specs:
        path = out / f"torch_legacy_{name}.onnx"
        with records.model(path.name, source, run_inputs):
            torch.manual_seed(SEED)
            model = make().eval()
            if name == "fp16":
                model = model.half()
                inputs = {k: v.half() for k, v in inputs.items()}
            with torch.no_grad():
                torch.onnx.export(model, tuple(inputs.values()), str(path), dynamo=False,
                                  opset_version=opset, do_constant_folding=True,
                                  input_names=list(inputs), dynamic_axes=axes)
    with records.model("torch_legacy_bert.onnx", "hf_zoo tiny BertModel (2 layers, hidden 32)",
                       {"input_ids": _inp((2, 8), 0, 256),
                        "attention_mask": _inp((2, 8), 1, 2)}):
        _torch_legacy_bert(out / "torch_legacy_bert.onnx")
    return records


def _torch_legacy_bert(path: Path) -> None:
    """A tiny BERT through the TorchScript exporter at opset 13 with constant folding, the way
    most BERT ONNX files in the wild were made."""
    import torch

    sys.path.insert(0, str(REPO / "tools"))
    import hf_zoo

    model, inputs, axes = hf_zoo.build("bert")
    names = list(inputs)
    with torch.no_grad(), hf_zoo._forward_taking(model, names):
        torch.onnx.export(model, tuple(inputs.values()), str(path), dynamo=False,
                          opset_version=13, do_constant_folding=True, input_names=names,
                          output_names=list(axes["outputs"]),
                          dynamic_axes={**axes["inputs"], **axes["outputs"]})


def build_torch_dynamo(out: Path) -> list[dict]:
    sys.path.insert(0, str(REPO / "tools"))
    import hf_zoo

    text = {"input_ids": _inp((2, 8), 0, 256), "attention_mask": _inp((2, 8), 1, 2)}
    specs = [("bert", text), ("gpt2", text), ("llama", text),
             ("mobilenet_v2", {"pixel_values": _inp((2, 3, 32, 32))})]
    records = Records()
    for arch, run_inputs in specs:
        path = out / f"dynamo_{arch}.onnx"
        source = f"hf_zoo.build({arch!r}) tiny {hf_zoo.ARCHS[arch].model_cls.__name__}"
        with records.model(path.name, source, run_inputs):
            model, inputs, axes = hf_zoo.build(arch)
            hf_zoo.export(model, inputs, path, "dynamo", axes)
    return records


def build_spox(out: Path) -> list[dict]:
    import numpy as np
    import onnx
    import spox.opset.ai.onnx.v17 as op
    from spox import Tensor, argument, build

    rng = np.random.default_rng(SEED)

    def const(a):
        return op.constant(value=np.asarray(a, dtype=np.float32))

    # 1. If with constants inside both branches (a "safe scaling" block from a hand-written
    #    post-processing graph): the branch constants are local Constant nodes.
    x = argument(Tensor(np.float32, ("N", 8)))
    total = op.reduce_sum(x, keepdims=0)
    cond = op.greater(total, const(0.0))
    (y,) = op.if_(
        cond,
        then_branch=lambda: [op.mul(op.add(x, const(rng.standard_normal(8))), const(0.5))],
        else_branch=lambda: [op.sub(op.mul(x, const(np.full(8, 2.0))), const(1.0))],
    )
    m1 = build({"x": x}, {"y": op.relu(y)})

    # 2. A normalise + two-layer MLP + softmax, weights as Constant nodes, with the shape
    #    bookkeeping a hand-writer adds (Reshape to [-1, 16] with a constant shape).
    x = argument(Tensor(np.float32, ("N", 4, 4)))
    flat = op.reshape(x, op.constant(value=np.array([-1, 16], np.int64)))
    norm = op.div(op.sub(flat, const(rng.standard_normal(16))), const(rng.random(16) + 0.5))
    h = op.relu(op.add(op.matmul(norm, const(rng.standard_normal((16, 32)) * 0.2)),
                       const(rng.standard_normal(32) * 0.1)))
    logits = op.add(op.matmul(h, const(rng.standard_normal((32, 5)) * 0.2)),
                    const(np.zeros(5)))
    m2 = build({"x": x}, {"probs": op.softmax(logits, axis=-1)})

    # 3. A Loop computing a running product of a learned matrix (power iteration style), the
    #    trip count a constant and the body using outer-scope constants.
    v = argument(Tensor(np.float32, ("N", 6)))
    mat = const(rng.standard_normal((6, 6)) * 0.3)

    def body(i, cond_in, acc):
        nxt = op.tanh(op.matmul(acc, mat))
        return [op.identity(cond_in), nxt]

    (final,) = op.loop(op.constant(value=np.array(4, np.int64)), None, [v], body=body)
    m3 = build({"v": v}, {"out": final})

    records = Records()
    for name, model, inputs, source in [
        ("if_branch_constants", m1, {"x": _inp((3, 8))},
         "If(ReduceSum(x) > 0) with Constant nodes in both branches"),
        ("mlp_constants", m2, {"x": _inp((3, 4, 4))},
         "Reshape + normalise + 2-layer MLP + Softmax, weights as Constant nodes"),
        ("loop_tanh", m3, {"v": _inp((3, 6))}, "Loop(4) of tanh(acc @ W), outer-scope W"),
    ]:
        path = out / f"spox_{name}.onnx"
        with records.model(path.name, source, inputs):
            onnx.save(model, str(path))
    return records


def build_optimum(out: Path) -> list[dict]:
    import shutil
    import tempfile

    import torch
    import transformers as tf
    from optimum.exporters.onnx import main_export

    def gpt2():
        return tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=256, n_embd=32, n_layer=2, n_head=2,
                                                n_positions=64, bos_token_id=0, eos_token_id=0))

    specs = [
        ("bert", "feature-extraction",
         lambda: tf.BertModel(tf.BertConfig(vocab_size=256, hidden_size=32, num_hidden_layers=2,
                                            num_attention_heads=2, intermediate_size=64,
                                            max_position_embeddings=64)),
         "BertModel tiny random (2 layers, hidden 32), task feature-extraction",
         {"input_ids": _inp((2, 8), 0, 256), "attention_mask": _inp((2, 8), 1, 2),
          "token_type_ids": _inp((2, 8), 0, 1)}),
        ("distilbert_cls", "text-classification",
         lambda: tf.DistilBertForSequenceClassification(tf.DistilBertConfig(
             vocab_size=256, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
             max_position_embeddings=64, num_labels=3)),
         "DistilBertForSequenceClassification tiny random, task text-classification",
         {"input_ids": _inp((2, 8), 0, 256), "attention_mask": _inp((2, 8), 1, 2)}),
        ("gpt2", "text-generation", gpt2,
         "GPT2LMHeadModel tiny random, task text-generation (no past)",
         {"input_ids": _inp((2, 8), 0, 256), "attention_mask": _inp((2, 8), 1, 2),
          "position_ids": _inp((2, 8), 0, 8)}),
        ("gpt2_with_past", "text-generation-with-past", gpt2,
         "GPT2LMHeadModel tiny random, task text-generation-with-past (one decoding step "
         "after 4 cached tokens)",
         {"input_ids": _inp((2, 1), 0, 256), "attention_mask": _inp((2, 5), 1, 2),
          "position_ids": _inp((2, 1), 4, 5),
          **{f"past_key_values.{i}.{kv}": _inp((2, 2, 4, 16))
             for i in range(2) for kv in ("key", "value")}}),
    ]
    records = Records()
    for name, task, make, source, inputs in specs:
        with records.model(f"optimum_{name}.onnx", source, inputs), \
                tempfile.TemporaryDirectory() as tmp:
            torch.manual_seed(SEED)
            model = make().eval()
            src, dst = Path(tmp, "model"), Path(tmp, "onnx")
            model.save_pretrained(src)
            main_export(str(src), output=str(dst), task=task, do_validation=False,
                        device="cpu")
            shutil.copy(dst / "model.onnx", out / f"optimum_{name}.onnx")
    return records


def build_onnx_model_zoo(out: Path) -> list[dict]:
    """The ONNX model zoo's Caffe2 conversions that ship in the onnx wheel (backend/test/data/light): IR 3,
    opset 9, every weight also a graph input (as IR 3 required). The wheel keeps them light by making each
    weight a ConstantOfShape; here each becomes an initializer again (seeded random values; variances
    positive), as in the zoo's real files."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    light = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    records = Records()
    for name in ("squeezenet", "shufflenet", "inception_v1"):
        path = out / f"zoo_{name}.onnx"
        with records.model(path.name, f"onnx wheel light_{name}.onnx, weights materialised",
                           {"data_0" if name != "shufflenet" else "gpu_0/data_0": _inp((1, 3, 224, 224))}):
            model = onnx.load(str(light / f"light_{name}.onnx"))
            shapes = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
            rng = np.random.default_rng(0)
            nodes, weights = [], []
            for node in model.graph.node:
                fill = next((a.t for a in node.attribute if a.name == "value"), None)
                floating = fill is None or fill.data_type == onnx.TensorProto.FLOAT
                if node.op_type == "ConstantOfShape" and node.input[0] in shapes and floating:  # not a Reshape's shape
                    dims = shapes[node.input[0]].astype(int).tolist()
                    positive = any(k in node.output[0].lower() for k in ("riv", "var", "_s_0"))
                    values = rng.uniform(0.5, 1.5, dims) if positive else rng.normal(0, 0.05, dims)
                    weights.append(numpy_helper.from_array(values.astype(np.float32), node.output[0]))
                else:
                    nodes.append(node)
            used = {i for n in nodes for i in n.input}
            weights = [w for w in weights if w.name in used]
            weights += [t for t in model.graph.initializer if t.name in used]  # the shapes of what stays
            del model.graph.node[:]
            model.graph.node.extend(nodes)
            del model.graph.initializer[:]
            model.graph.initializer.extend(weights)
            names = {w.name for w in weights}
            inputs = [i for i in model.graph.input if i.name in used and not i.name.endswith("__SHAPE")]
            have = {i.name for i in inputs}
            inputs += [onnx.helper.make_tensor_value_info(w.name, w.data_type, list(w.dims))
                       for w in weights if w.name not in have]
            del model.graph.input[:]
            model.graph.input.extend(inputs)
            assert names <= {i.name for i in model.graph.input}
            onnx.save(model, str(path))
    return records


BUILDERS = {
    "paddle2onnx": build_paddle2onnx,
    "tf2onnx": build_tf2onnx,
    "skl2onnx": build_skl2onnx,
    "onnxmltools": build_onnxmltools,
    "torch-legacy": build_torch_legacy,
    "spox": build_spox,
    "optimum": build_optimum,
    "torch-dynamo": build_torch_dynamo,
    "onnx-model-zoo": build_onnx_model_zoo,
}


def worker(family: str, out: Path, manifest: Path) -> None:
    """Build one family's models into ``out``; write the records and exporter versions."""
    from importlib import metadata

    versions = {}
    for dist in FAMILIES[family].exporter:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    out.mkdir(parents=True, exist_ok=True)
    result = {"versions": versions, "records": [], "error": None}
    try:
        result["records"] = BUILDERS[family](out)
    except Exception:  # reported to the main process, which records it
        result["error"] = traceback.format_exc()
    manifest.write_text(json.dumps(result, indent=1))


# ---------------------------------------------------------------------------------------------
# Main side: run the worker in its venv, then check and describe every model.


def _random_inputs(sess, specs: dict) -> dict:
    import numpy as np

    rng = np.random.default_rng(SEED)
    feeds = {}
    types = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
             "tensor(double)": np.float64, "tensor(int64)": np.int64,
             "tensor(int32)": np.int32, "tensor(bool)": np.bool_}
    for i in sess.get_inputs():
        spec = specs.get(i.name) or {"shape": [d if isinstance(d, int) else 1 for d in i.shape]}
        dtype = types[i.type]
        if np.issubdtype(dtype, np.integer):
            lo, hi = spec.get("range", [0, 2])
            feeds[i.name] = rng.integers(lo, hi, spec["shape"]).astype(dtype)
        elif dtype is np.bool_:
            feeds[i.name] = rng.integers(0, 2, spec["shape"]).astype(bool)
        else:
            feeds[i.name] = rng.standard_normal(spec["shape"]).astype(dtype)
    return feeds


def describe(path: Path, record: dict) -> dict:
    """Check ``path`` (checker + one onnxruntime run) and describe it for corpus.json."""
    import onnx
    import onnxruntime as ort

    entry = {"file": path.name, **{k: v for k, v in record.items() if k != "file"}}
    model = onnx.load(str(path))

    def count(graph):
        n = 0
        for node in graph.node:
            n += 1
            for a in node.attribute:
                for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                    n += count(g)
        return n

    entry.update({
        "producer_name": model.producer_name, "producer_version": model.producer_version,
        "ir_version": model.ir_version,
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "nodes": len(model.graph.node), "nodes_with_subgraphs": count(model.graph),
        "initializers": len(model.graph.initializer),
        "size_bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    })
    errors = []
    try:
        onnx.checker.check_model(str(path))
    except Exception as e:  # recorded
        errors.append(f"checker: {e}".splitlines()[0][:300])
    try:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        feeds = _random_inputs(sess, record.get("inputs", {}))
        entry["inputs"] = {n: {"shape": list(v.shape), "dtype": str(v.dtype),
                               **({"range": record["inputs"][n]["range"]}
                                  if "range" in record.get("inputs", {}).get(n, {}) else {})}
                           for n, v in feeds.items()}
        sess.run(None, feeds)
    except Exception as e:  # recorded
        errors.append(f"onnxruntime: {e}".splitlines()[0][:300])
    if entry["size_bytes"] > 30 << 20:
        errors.append(f"size {entry['size_bytes']} bytes is over the 30 MB cap")
    entry["check"] = "ok" if not errors else "; ".join(errors)
    return entry


def build_family(family: str) -> tuple[list[dict], dict]:
    spec = FAMILIES[family]
    info = {"venv": spec.venv, "pins": [p for g in VENV_SPECS[spec.venv].groups for p in g]}
    try:
        info["setup_s"] = round(ensure_venv(spec.venv), 1)
    except (subprocess.CalledProcessError, RuntimeError) as e:
        info["error"] = f"venv setup failed: {e}"
        return [], info
    MODELS.mkdir(exist_ok=True)
    for stale in MODELS.glob(f".error-{family}-*"):
        stale.unlink()
    manifest = MODELS / f".manifest-{family}.json"
    env = {**os.environ, "PYTHONHASHSEED": "0", "CUDA_VISIBLE_DEVICES": "",
           "TF_CPP_MIN_LOG_LEVEL": "2", "OMP_NUM_THREADS": "1",
           "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    proc = subprocess.run([str(venv_python(spec.venv)), str(Path(__file__).resolve()),
                           "--worker", family, "--manifest", str(manifest)], env=env,
                          cwd=REPO, capture_output=True, text=True)
    info["build_s"] = round(time.perf_counter() - start, 1)
    if not manifest.exists():
        info["error"] = f"worker exited {proc.returncode}: {proc.stderr[-2000:]}"
        return [], info
    result = json.loads(manifest.read_text())
    manifest.unlink()
    info["versions"] = result["versions"]
    if result["error"]:
        info["error"] = result["error"][-3000:]
    (MODELS / f".log-{family}.txt").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    exporter = FAMILIES[family].label
    entries = []
    for rec in result["records"]:
        if "error" in rec or not (MODELS / rec["file"]).exists():
            last = (rec.get("error") or "no file written").strip().splitlines()[-1]
            entries.append({"file": rec["file"], "family": family, "exporter": exporter,
                            "exporter_versions": result["versions"], "source": rec["source"],
                            "check": f"build failed: {last[:300]}"})
            (MODELS / f".error-{family}-{rec['file']}.txt").write_text(rec.get("error") or "")
            continue
        entry = describe(MODELS / rec["file"], rec)
        entries.append({"file": entry.pop("file"), "family": family, "exporter": exporter,
                        "exporter_versions": result["versions"], **entry})
    return entries, info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=list(FAMILIES),
                    help="rebuild this family only (repeatable); other entries are kept")
    ap.add_argument("--list", action="store_true", help="list families, venvs and models")
    ap.add_argument("--worker", choices=list(FAMILIES), help=argparse.SUPPRESS)
    ap.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, MODELS, args.manifest)
        return 0
    corpus = json.loads(CORPUS_JSON.read_text()) if CORPUS_JSON.exists() else {
        "families": {}, "models": []}
    if args.list:
        for name, fam in FAMILIES.items():
            pins = " ".join(p for g in VENV_SPECS[fam.venv].groups for p in g)
            print(f"{name:13} venvs/{fam.venv:8} {fam.doc}\n{'':13} pins: {pins}")
            for m in corpus["models"]:
                if m["family"] == name:
                    print(f"{'':13} {m['file']:34} {m.get('nodes', '-'):>5} nodes  "
                          f"{m['check']}")
        return 0
    families = args.only or list(FAMILIES)
    for family in families:
        print(f"== {family} (venvs/{FAMILIES[family].venv})", flush=True)
        for m in corpus["models"]:
            if m["family"] == family and (MODELS / m["file"]).exists():
                (MODELS / m["file"]).unlink()
        entries, info = build_family(family)
        corpus["families"][family] = {k: v for k, v in info.items()
                                      if k not in ("setup_s", "build_s")}
        corpus["models"] = [m for m in corpus["models"] if m["family"] != family] + entries
        print(f"   venv setup {info.get('setup_s', '-')} s, build+export "
              f"{info.get('build_s', '-')} s, {len(entries)} models, "
              f"{sum(e['check'] == 'ok' for e in entries)} ok", flush=True)
        for e in entries:
            print(f"   {e['file']:36} {e.get('nodes', '-'):>5} nodes "
                  f"{e.get('size_bytes', 0) / 1e6:7.2f} MB  {e['check']}", flush=True)
        if "error" in info:
            print("   ERROR: " + info["error"].strip().splitlines()[-1], flush=True)
        times = MODELS / "build_times.json"
        log = json.loads(times.read_text()) if times.exists() else {}
        log[family] = {k: info.get(k) for k in ("setup_s", "build_s")}
        times.write_text(json.dumps(log, indent=1))
        order = list(FAMILIES)
        corpus["models"].sort(key=lambda m: (order.index(m["family"]), m["file"]))
        corpus["families"] = {f: corpus["families"][f] for f in order
                              if f in corpus["families"]}
        CORPUS_JSON.write_text(json.dumps(corpus, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
