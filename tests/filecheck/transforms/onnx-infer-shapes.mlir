// RUN: xdsl-opt %s -p onnx-infer-shapes --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p onnx-infer-shapes,onnx-infer-shapes --split-input-file | filecheck %s

// Symbolic dims flow through MatMul, Reshape and Concat; unknown stays unknown.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "infer", input_names = ["x", "w", "u"], output_names = ["y", "z"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, seq, 8], f32>, %w: !onnx.tensor<[8, 6], f32>, %u: !onnx.tensor<[?, 6], f32>):
      %m = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[batch, seq, 8], f32>, !onnx.tensor<[8, 6], f32>) -> !onnx.any
      %t = "onnx.initializer"() <{name = "t", value = #onnx.dense<i64 [2] = [-1, 6]>}> : () -> !onnx.tensor<[2], i64>
      %y = "onnx.Reshape"(%m, %t) : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %z = "onnx.Concat"(%y, %u) <{axis = 0 : i64}> : (!onnx.any, !onnx.tensor<[?, 6], f32>) -> !onnx.any
      "onnx.return"(%y, %z) : (!onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "infer"
// CHECK-SAME:    output_types = [!onnx.tensor<["batch*seq", 6], f32>, !onnx.tensor<[?, 6], f32>]
// CHECK:         "onnx.MatMul"{{.*}} -> !onnx.tensor<[batch, seq, 6], f32>
// CHECK:         "onnx.Reshape"{{.*}} -> !onnx.tensor<["batch*seq", 6], f32>
// CHECK:         "onnx.Concat"{{.*}} -> !onnx.tensor<[?, 6], f32>

// -----

// infer_nofold: declared names on graph inputs are never renamed, and a contradicting
// output declaration keeps its declared symbol when nothing is proved about it.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "infer_nofold", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[n, m], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[n, m], f32>):
      %y = "onnx.Relu"(%x) : (!onnx.tensor<[n, m], f32>) -> !onnx.any
      "onnx.return"(%y) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "infer_nofold"
// CHECK-SAME:    output_types = [!onnx.tensor<[n, m], f32>]
// CHECK:         ^bb0(%x: !onnx.tensor<[n, m], f32>)
// CHECK:         "onnx.Relu"{{.*}} -> !onnx.tensor<[n, m], f32>
