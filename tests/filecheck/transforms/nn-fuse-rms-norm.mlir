// RUN: xdsl-opt %s -p 'nn-fuse-rms-norm{target=ort}' --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p 'nn-fuse-rms-norm{target=ort},nn-fuse-rms-norm{target=ort}' --split-input-file | filecheck %s
// Lowering: onnxruntime's SimplifiedLayerNormalization (default domain) under ort below opset 23, RMSNormalization
// from opset 23 (under ort too).
// RUN: xdsl-opt %s -p 'nn-fuse-rms-norm{target=ort},nn-lower{target=ort}' --split-input-file | filecheck %s --check-prefix=ORT
// RUN: xdsl-opt %s -p nn-fuse-rms-norm,nn-lower --split-input-file | filecheck %s --check-prefix=STD
// --target=tensorrt keeps RMSNorm decomposed, at opset 23 too (TensorRT's builder fuses it).
// RUN: xdsl-opt %s -p 'nn-fuse-rms-norm{target=tensorrt},nn-lower{target=tensorrt}' --split-input-file | filecheck %s --check-prefix=TRT

// The dynamo form: Pow(x, 2), ReduceMean with an axes input, Reciprocal, Mul(γ, ·) with γ first.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "rms_dynamo", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, sequence, 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 8], f32>):
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-05]>}> : () -> !onnx.tensor<[], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]>}> : () -> !onnx.tensor<[8], f32>
      %axes = "onnx.initializer"() <{name = "axes", value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %sq = "onnx.Pow"(%x, %two) : (!onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 8], f32>
      %ms = "onnx.ReduceMean"(%sq, %axes) <{keepdims = 1 : i64}> : (!onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %mse = "onnx.Add"(%ms, %eps) : (!onnx.tensor<[batch, sequence, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %rms = "onnx.Sqrt"(%mse) : (!onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %inv = "onnx.Reciprocal"(%rms) : (!onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %n = "onnx.Mul"(%x, %inv) : (!onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 8], f32>
      %y = "onnx.Mul"(%gamma, %n) : (!onnx.tensor<[8], f32>, !onnx.tensor<[batch, sequence, 8], f32>) -> !onnx.tensor<[batch, sequence, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rms_dynamo"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, sequence, 8], f32>):
// CHECK: %[[G:.*]] = "onnx.initializer"() <{name = "gamma"
// CHECK-NOT: "onnx.Pow"(
// CHECK: %[[Y:.*]] = "nn.rms_norm"(%[[X]], %[[G]]) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}>
// CHECK-NOT: "onnx.Mul"(
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "rms_dynamo"
// ORT: "onnx.custom"(%{{.*}}, %{{.*}}) <{domain = "", op_type = "SimplifiedLayerNormalization", attrs = {axis = -1 : i64, epsilon = 1.000000e-05 : f32, stash_type = 1 : i64}
// STD-LABEL: name = "rms_dynamo"
// STD: "onnx.ReduceMean"

// -----

// The TorchScript form of HF's LlamaRMSNorm in half precision: f16 → f32 statistics (ReduceMean axes
// attribute, Div(1, ·)) → f16 → Mul(·, γ). The fused op reads and returns f16.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "rms_ts_f16", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, sequence, 4], f16>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f16>):
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-06]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f16 [4] = [1.0, 0.5, 2.0, 1.5]>}> : () -> !onnx.tensor<[4], f16>
      %x32 = "onnx.Cast_v6"(%x) <{to = 1 : i64}> : (!onnx.tensor<[batch, sequence, 4], f16>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %sq = "onnx.Pow"(%x32, %two) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %ms = "onnx.ReduceMean_v1"(%sq) <{axes = array<i64: -1>, keepdims = 1 : i64}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %mse = "onnx.Add"(%eps, %ms) : (!onnx.tensor<[], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %rms = "onnx.Sqrt"(%mse) : (!onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %inv = "onnx.Div"(%one, %rms) : (!onnx.tensor<[], f32>, !onnx.tensor<[batch, sequence, 1], f32>) -> !onnx.tensor<[batch, sequence, 1], f32>
      %n = "onnx.Mul"(%inv, %x32) : (!onnx.tensor<[batch, sequence, 1], f32>, !onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %n16 = "onnx.Cast_v6"(%n) <{to = 10 : i64}> : (!onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f16>
      %y = "onnx.Mul"(%n16, %gamma) : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[4], f16>) -> !onnx.tensor<[batch, sequence, 4], f16>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f16>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rms_ts_f16"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, sequence, 4], f16>):
// CHECK: %[[G:.*]] = "onnx.initializer"() <{name = "gamma"
// CHECK-NOT: "onnx.Cast_v6"(
// CHECK: %[[Y:.*]] = "nn.rms_norm"(%[[X]], %[[G]]) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}>{{.*}} : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[4], f16>) -> !onnx.tensor<[batch, sequence, 4], f16>
// CHECK-NOT: = "onnx.
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "rms_ts_f16"
// ORT: "onnx.custom"({{.*}}) <{domain = "", op_type = "SimplifiedLayerNormalization"

// -----

// Mul(x, x), Div(x, rms), two trailing axes, no γ (a γ of ones was folded away), opset 23: the
// fused op gets a constant of ones of the normalised shape [2, 4].
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "rms_two_axes", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 2, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 4], f32>):
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [1] = [1.0e-06]>}> : () -> !onnx.tensor<[1], f32>
      %axes = "onnx.initializer"() <{name = "axes", value = #onnx.dense<i64 [2] = [2, -2]>}> : () -> !onnx.tensor<[2], i64>
      %sq = "onnx.Mul"(%x, %x) : (!onnx.tensor<[batch, 2, 4], f32>, !onnx.tensor<[batch, 2, 4], f32>) -> !onnx.tensor<[batch, 2, 4], f32>
      %ms = "onnx.ReduceMean"(%sq, %axes) : (!onnx.tensor<[batch, 2, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[batch, 1, 1], f32>
      %mse = "onnx.Add"(%ms, %eps) : (!onnx.tensor<[batch, 1, 1], f32>, !onnx.tensor<[1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %rms = "onnx.Sqrt"(%mse) : (!onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 1, 1], f32>
      %y = "onnx.Div"(%x, %rms) : (!onnx.tensor<[batch, 2, 4], f32>, !onnx.tensor<[batch, 1, 1], f32>) -> !onnx.tensor<[batch, 2, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, 2, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rms_two_axes"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, 2, 4], f32>):
// CHECK: %[[ONES:.*]] = "onnx.Constant"() <{value = #onnx.dense<f32 [2, 4] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>}>
// CHECK: %[[Y:.*]] = "nn.rms_norm"(%[[X]], %[[ONES]]) <{axis = -2 : i64, epsilon = 1.000000e-06 : f32}>
// CHECK-NOT: "onnx.Div"(
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "rms_two_axes"
// ORT-NOT: SimplifiedLayerNormalization
// ORT: "onnx.RMSNormalization"(%{{.*}}, %{{.*}}) <{axis = -2 : i64, epsilon = 1.000000e-06 : f32, stash_type = 1 : i64}>
// TRT-LABEL: name = "rms_two_axes"
// TRT-NOT: RMSNormalization
// TRT: %[[MS:.*]] = "onnx.ReduceMean"(%sq, %axes)
// TRT: %[[Y:.*]] = "onnx.Div"(%x, %rms)
// TRT: "onnx.return"(%[[Y]])
// STD-LABEL: name = "rms_two_axes"
// STD: %[[Y:.*]] = "onnx.RMSNormalization"(%{{.*}}, %{{.*}}) <{axis = -2 : i64, epsilon = 1.000000e-06 : f32, stash_type = 1 : i64}>
// STD: "onnx.return"(%[[Y]])

// -----

// _nofuse: near misses that must stay as they are — the mean over a non-trailing axis, keepdims = 0,
// a Pow exponent of 3, an epsilon that is a graph input, the square of another value, a centred
// value (a LayerNorm's variance, not an RMS), and an epsilon of rank 3 that broadcasts the result to rank 3.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "rms_nofuse", input_names = ["x", "e", "z"], output_names = ["y0", "y1", "y2", "y3", "y4", "y5", "y6"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f32>, %e: !onnx.tensor<[], f32>, %z: !onnx.tensor<[batch, 8], f32>):
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %three = "onnx.initializer"() <{name = "three", value = #onnx.dense<f32 [] = [3.0]>}> : () -> !onnx.tensor<[], f32>
      %eps = "onnx.initializer"() <{name = "eps", value = #onnx.dense<f32 [] = [1.0e-06]>}> : () -> !onnx.tensor<[], f32>
      %eps3 = "onnx.initializer"() <{name = "eps3", value = #onnx.dense<f32 [1, 1, 1] = [1.0e-06]>}> : () -> !onnx.tensor<[1, 1, 1], f32>
      %ax0 = "onnx.initializer"() <{name = "ax0", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %ax1 = "onnx.initializer"() <{name = "ax1", value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %sq = "onnx.Pow"(%x, %two) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %m0 = "onnx.ReduceMean"(%sq, %ax0) <{keepdims = 1 : i64}> : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 8], f32>
      %a0 = "onnx.Add"(%m0, %eps) : (!onnx.tensor<[1, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[1, 8], f32>
      %r0 = "onnx.Sqrt"(%a0) : (!onnx.tensor<[1, 8], f32>) -> !onnx.tensor<[1, 8], f32>
      %y0 = "onnx.Div"(%x, %r0) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %m1 = "onnx.ReduceMean"(%sq, %ax1) <{keepdims = 0 : i64}> : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch], f32>
      %a1 = "onnx.Add"(%m1, %eps) : (!onnx.tensor<[batch], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch], f32>
      %r1 = "onnx.Sqrt"(%a1) : (!onnx.tensor<[batch], f32>) -> !onnx.tensor<[batch], f32>
      %y1 = "onnx.Div"(%x, %r1) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch], f32>) -> !onnx.any
      %cube = "onnx.Pow"(%x, %three) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %m2 = "onnx.ReduceMean"(%cube, %ax1) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1], f32>
      %a2 = "onnx.Add"(%m2, %eps) : (!onnx.tensor<[batch, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 1], f32>
      %r2 = "onnx.Sqrt"(%a2) : (!onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 1], f32>
      %y2 = "onnx.Div"(%x, %r2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 8], f32>
      %m3 = "onnx.ReduceMean"(%sq, %ax1) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1], f32>
      %a3 = "onnx.Add"(%m3, %e) : (!onnx.tensor<[batch, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 1], f32>
      %r3 = "onnx.Sqrt"(%a3) : (!onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 1], f32>
      %y3 = "onnx.Div"(%x, %r3) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 8], f32>
      %a4 = "onnx.Add"(%m3, %eps) : (!onnx.tensor<[batch, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 1], f32>
      %r4 = "onnx.Sqrt"(%a4) : (!onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 1], f32>
      %y4 = "onnx.Div"(%z, %r4) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 8], f32>
      %mean = "onnx.ReduceMean"(%x, %ax1) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1], f32>
      %d = "onnx.Sub"(%x, %mean) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 8], f32>
      %dsq = "onnx.Pow"(%d, %two) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %m5 = "onnx.ReduceMean"(%dsq, %ax1) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1], f32>
      %a5 = "onnx.Add"(%m5, %eps) : (!onnx.tensor<[batch, 1], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 1], f32>
      %r5 = "onnx.Sqrt"(%a5) : (!onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 1], f32>
      %y5 = "onnx.Div"(%d, %r5) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 1], f32>) -> !onnx.tensor<[batch, 8], f32>
      %a6 = "onnx.Add"(%m3, %eps3) : (!onnx.tensor<[batch, 1], f32>, !onnx.tensor<[1, 1, 1], f32>) -> !onnx.tensor<[1, batch, 1], f32>
      %r6 = "onnx.Sqrt"(%a6) : (!onnx.tensor<[1, batch, 1], f32>) -> !onnx.tensor<[1, batch, 1], f32>
      %y6 = "onnx.Div"(%x, %r6) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1, batch, 1], f32>) -> !onnx.tensor<[1, batch, 8], f32>
      "onnx.return"(%y0, %y1, %y2, %y3, %y4, %y5, %y6) : (!onnx.tensor<[batch, 8], f32>, !onnx.any, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[1, batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rms_nofuse"
// CHECK-NOT: "nn.rms_norm"
// CHECK: "onnx.return"
// ORT-LABEL: name = "rms_nofuse"
// ORT-NOT: SimplifiedLayerNormalization
// ORT: "onnx.return"
