// RUN: xdsl-opt %s -p 'nn-fuse-layer-norm{target=ort}' --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p 'nn-fuse-layer-norm{target=ort},nn-fuse-layer-norm{target=ort}' --split-input-file | filecheck %s
// Lowering: LayerNormalization under ort (at any opset), ONNX's function body under portable (in the model's opset form).
// RUN: xdsl-opt %s -p 'nn-fuse-layer-norm{target=ort},nn-lower{target=ort}' --split-input-file | filecheck %s --check-prefix=ORT
// RUN: xdsl-opt %s -p 'nn-fuse-layer-norm{target=portable},nn-lower{target=portable}' --split-input-file | filecheck %s --check-prefix=PORT
// tensorrt: LayerNormalization from opset 17 (its parser reads it), below that the pattern stays for TensorRT's builder.
// RUN: xdsl-opt %s -p 'nn-fuse-layer-norm{target=tensorrt},nn-lower{target=tensorrt}' --split-input-file | filecheck %s --check-prefix=TRT

// The TorchScript form (opset < 18): ReduceMean axes attribute, Pow(d, 2), Div, then Mul(γ) and Add(β, ·).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "ln_ts", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, sequence, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f32>):
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-05]>}> : () -> !onnx.tensor<[], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %mean = "onnx.ReduceMean_v1"(%x) <{axes = array<i64: -1>}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %d = "onnx.Sub"(%x, %mean) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %sq = "onnx.Pow"(%d, %two) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %var = "onnx.ReduceMean_v1"(%sq) <{axes = array<i64: -1>}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %ve = "onnx.Add"(%var, %eps) : (!onnx.tensor<[batch, sequence, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %std = "onnx.Sqrt"(%ve) : (!onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %n = "onnx.Div"(%d, %std) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %g = "onnx.Mul"(%n, %gamma) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %y = "onnx.Add"(%beta, %g) : (!onnx.tensor<[4], f32>, !onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_ts"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, sequence, 4], f32>):
// CHECK-DAG: %[[G:.*]] = "onnx.initializer"() <{name = "gamma"
// CHECK-DAG: %[[B:.*]] = "onnx.initializer"() <{name = "beta"
// CHECK-NOT: "onnx.ReduceMean_v1"(
// CHECK: %[[Y:.*]] = "nn.layer_norm"(%[[X]], %[[G]], %[[B]]) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}>
// CHECK-NOT: = "onnx.
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "ln_ts"
// ORT: "onnx.LayerNormalization"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> {{.*}} -> (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.none, !onnx.none)
// TRT-LABEL: name = "ln_ts"
// TRT-NOT: "onnx.LayerNormalization"
// TRT: %mean = "onnx.ReduceMean_v1"(%x)
// TRT: %n = "onnx.Div"(%d, %std)
// TRT-NOT: "onnx.LayerNormalization"
// PORT-LABEL: name = "ln_ts"
// PORT: %[[MEAN:.*]] = "onnx.ReduceMean_v1"(%x) <{axes = array<i64: -1>}>
// PORT: %[[D:.*]] = "onnx.Sub"(%x, %[[MEAN]])
// PORT: %[[DD:.*]] = "onnx.Mul"(%[[D]], %[[D]])
// PORT: %[[VAR:.*]] = "onnx.ReduceMean_v1"(%[[DD]]) <{axes = array<i64: -1>}>
// PORT: %[[EPS:.*]] = "onnx.Constant"() <{value = #onnx.dense<f32 [] = [9.999999747378752e-06]>}>
// PORT: %[[VE:.*]] = "onnx.Add"(%[[VAR]], %[[EPS]])
// PORT: %[[STD:.*]] = "onnx.Sqrt"(%[[VE]])
// PORT: %[[N:.*]] = "onnx.Div"(%[[D]], %[[STD]])
// PORT: %[[NG:.*]] = "onnx.Mul"(%[[N]], %gamma)
// PORT: "onnx.Add"(%[[NG]], %beta)

// -----

// ln_ts_nofuse: the variance is over other axes than the mean (not a LayerNorm).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "ln_ts_nofuse", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, sequence, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f32>):
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-05]>}> : () -> !onnx.tensor<[], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %mean = "onnx.ReduceMean_v1"(%x) <{axes = array<i64: -1>}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %d = "onnx.Sub"(%x, %mean) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %sq = "onnx.Pow"(%d, %two) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %var = "onnx.ReduceMean_v1"(%sq) <{axes = array<i64: -2, -1>}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %ve = "onnx.Add"(%var, %eps) : (!onnx.tensor<[batch, 1, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %std = "onnx.Sqrt"(%ve) : (!onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %n = "onnx.Div"(%d, %std) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %g = "onnx.Mul"(%n, %gamma) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %y = "onnx.Add"(%beta, %g) : (!onnx.tensor<[4], f32>, !onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_ts_nofuse"
// CHECK-NOT: "nn.layer_norm"
// CHECK: "onnx.Div"
// ORT-LABEL: name = "ln_ts_nofuse"
// ORT-NOT: "onnx.LayerNormalization"(
// PORT-LABEL: name = "ln_ts_nofuse"
// PORT: "onnx.Pow"

// -----

// The opset-18 form with γ = 1 and β = 0 folded away, over the two trailing dims: ReduceMean axes
// input, Mul(d, d), Add(ε, ·), Reciprocal and Mul(·, d). The scale becomes a constant of ones.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "ln_folded", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, 3, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 3, 4], f32>):
      %axes = "onnx.initializer"() <{name = "axes", value = #onnx.dense<i64 [2] = [-2, -1]>}> : () -> !onnx.tensor<[2], i64>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-05]>}> : () -> !onnx.tensor<[], f32>
      %mean = "onnx.ReduceMean"(%x, %axes) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[batch, 1, 1], f32>
      %d = "onnx.Sub"(%x, %mean) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %sq = "onnx.Mul"(%d, %d) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %var = "onnx.ReduceMean"(%sq, %axes) <{keepdims = 1 : i64}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[batch, 1, 1], f32>
      %ve = "onnx.Add"(%eps, %var) : (!onnx.tensor<[], f32>, !onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %std = "onnx.Sqrt"(%ve) : (!onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %inv = "onnx.Reciprocal"(%std) : (!onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %y = "onnx.Mul"(%inv, %d) : (!onnx.tensor<[batch, 1, 1], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, 3, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_folded"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, 3, 4], f32>):
// CHECK: %[[ONES:.*]] = "onnx.Constant"() <{value = #onnx.dense<f32 [3, 4] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>}>
// CHECK: %[[NONE:.*]] = "onnx.novalue"()
// CHECK: %[[Y:.*]] = "nn.layer_norm"(%[[X]], %[[ONES]], %[[NONE]]) <{axis = -2 : i64, epsilon = 1.000000e-05 : f32}>
// CHECK-NOT: "onnx.Reciprocal"(
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "ln_folded"
// ORT: "onnx.LayerNormalization"(%x, %{{.*}}, %{{.*}}) <{axis = -2 : i64, epsilon = 1.000000e-05 : f32}>
// TRT-LABEL: name = "ln_folded"
// TRT: "onnx.LayerNormalization"(%x, %{{.*}}, %{{.*}}) <{axis = -2 : i64, epsilon = 1.000000e-05 : f32}>
// TRT-NOT: "onnx.ReduceMean"
// TRT: "onnx.return"
// PORT-LABEL: name = "ln_folded"
// PORT: %[[AXES:.*]] = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [-2, -1]>}>
// PORT: %[[MEAN:.*]] = "onnx.ReduceMean"(%x, %[[AXES]])
// PORT: "onnx.Div"
// PORT-NOT: "onnx.Mul"(
// PORT: "onnx.return"

// -----

// ln_folded_nofuse: the centred value is read outside the LayerNorm (the fused op would not remove it).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "ln_folded_nofuse", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 3, 4], f32>):
      %axes = "onnx.initializer"() <{name = "axes", value = #onnx.dense<i64 [2] = [-2, -1]>}> : () -> !onnx.tensor<[2], i64>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-05]>}> : () -> !onnx.tensor<[], f32>
      %mean = "onnx.ReduceMean"(%x, %axes) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[batch, 1, 1], f32>
      %d = "onnx.Sub"(%x, %mean) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %sq = "onnx.Mul"(%d, %d) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %var = "onnx.ReduceMean"(%sq, %axes) <{keepdims = 1 : i64}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[batch, 1, 1], f32>
      %ve = "onnx.Add"(%eps, %var) : (!onnx.tensor<[], f32>, !onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %std = "onnx.Sqrt"(%ve) : (!onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %inv = "onnx.Reciprocal"(%std) : (!onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %y = "onnx.Mul"(%inv, %d) : (!onnx.tensor<[batch, 1, 1], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      "onnx.return"(%y, %d) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_folded_nofuse"
// CHECK-NOT: "nn.layer_norm"
// CHECK: "onnx.Reciprocal"
// ORT-LABEL: name = "ln_folded_nofuse"
// ORT-NOT: "onnx.LayerNormalization"(
// PORT-LABEL: name = "ln_folded_nofuse"
// PORT: "onnx.Reciprocal"

// -----

// The dynamo form: onnx.LayerNormalization with unused statistics outputs is raised as it is.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "ln_raise", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, sequence, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f32>):
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %y, %mean, %inv = "onnx.LayerNormalization"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.none, !onnx.none)
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_raise"
// CHECK: %[[Y:.*]] = "nn.layer_norm"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}>
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "ln_raise"
// ORT: "onnx.LayerNormalization"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}>
// PORT-LABEL: name = "ln_raise"
// PORT: "onnx.ReduceMean_v1"(%x) <{axes = array<i64: -1>}>
// PORT-NOT: "onnx.LayerNormalization"(
// PORT: "onnx.return"

// -----

// ln_raise_nofuse: its Mean output is read (nn.layer_norm has no such result).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "ln_raise_nofuse", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f32>):
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %y, %mean, %inv = "onnx.LayerNormalization"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>, !onnx.none)
      "onnx.return"(%y, %mean) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_raise_nofuse"
// CHECK-NOT: "nn.layer_norm"
// CHECK: "onnx.LayerNormalization"
// ORT-LABEL: name = "ln_raise_nofuse"
// ORT: "onnx.LayerNormalization"
// PORT-LABEL: name = "ln_raise_nofuse"
// PORT: "onnx.LayerNormalization"

// -----

// torch's TorchScript LayerNorm in half precision: f16 mean and centring, the centred value cast to f32
// for the statistics, the normalised value cast back to f16 before γ. That is stash_type = 1: the fused
// op reads and returns f16.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "ln_f16", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, sequence, 4], f16>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f16>):
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-05]>}> : () -> !onnx.tensor<[], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f16 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f16>
      %mean = "onnx.ReduceMean_v1"(%x) <{axes = array<i64: -1>}> : (!onnx.tensor<[batch, sequence, 4], f16>) -> !onnx.tensor<[batch, sequence, 1], f16>
      %d = "onnx.Sub"(%x, %mean) : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 1], f16>) -> !onnx.tensor<[batch, sequence, 4], f16>
      %d32 = "onnx.Cast_v6"(%d) <{to = 1 : i64}> : (!onnx.tensor<[batch, sequence, 4], f16>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %sq = "onnx.Pow"(%d32, %two) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %var = "onnx.ReduceMean_v1"(%sq) <{axes = array<i64: -1>}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %ve = "onnx.Add"(%var, %eps) : (!onnx.tensor<[batch, sequence, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %std = "onnx.Sqrt"(%ve) : (!onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %n = "onnx.Div"(%d32, %std) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %n16 = "onnx.Cast_v6"(%n) <{to = 10 : i64}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f16>
      %y = "onnx.Mul"(%n16, %gamma) : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[4], f16>) -> !onnx.tensor<[batch, sequence, 4], f16>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f16>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_f16"
// CHECK: %[[Y:.*]] = "nn.layer_norm"(%x, %gamma, %{{.*}}) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> {{.*}} -> !onnx.tensor<[batch, sequence, 4], f16>
// CHECK-NOT: "onnx.Cast_v6"(
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "ln_f16"
// ORT: "onnx.LayerNormalization"(%x, %gamma, %{{.*}}) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}>
// PORT-LABEL: name = "ln_f16"
// PORT: %[[X32:.*]] = "onnx.Cast_v6"(%x) <{to = 1 : i64}>
// PORT: %[[MEAN:.*]] = "onnx.ReduceMean_v1"(%[[X32]])
// PORT: %[[N:.*]] = "onnx.Div"
// PORT: %[[N16:.*]] = "onnx.Cast_v6"(%[[N]]) <{to = 10 : i64}>
// PORT: "onnx.Mul"(%[[N16]], %gamma)

// -----

// ln_f16_nofuse: the f32 normalised value is never cast back to f16 (the output is f32, not x's type).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "ln_f16_nofuse", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, sequence, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f16>):
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-05]>}> : () -> !onnx.tensor<[], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %mean = "onnx.ReduceMean_v1"(%x) <{axes = array<i64: -1>}> : (!onnx.tensor<[batch, sequence, 4], f16>) -> !onnx.tensor<[batch, sequence, 1], f16>
      %d = "onnx.Sub"(%x, %mean) : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 1], f16>) -> !onnx.tensor<[batch, sequence, 4], f16>
      %d32 = "onnx.Cast_v6"(%d) <{to = 1 : i64}> : (!onnx.tensor<[batch, sequence, 4], f16>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %sq = "onnx.Pow"(%d32, %two) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %var = "onnx.ReduceMean_v1"(%sq) <{axes = array<i64: -1>}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %ve = "onnx.Add"(%var, %eps) : (!onnx.tensor<[batch, sequence, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %std = "onnx.Sqrt"(%ve) : (!onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %n = "onnx.Div"(%d32, %std) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %y = "onnx.Mul"(%n, %gamma) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "ln_f16_nofuse"
// CHECK-NOT: "nn.layer_norm"
// CHECK: "onnx.Cast_v6"(%d)
// ORT-LABEL: name = "ln_f16_nofuse"
// ORT-NOT: "onnx.LayerNormalization"(
// PORT-LABEL: name = "ln_f16_nofuse"
// PORT: "onnx.Cast_v6"(%d)
