// RUN: xdsl-opt %s -p onnx-simplify-shape-chains,onnx-eliminate-dead --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-simplify-shape-chains,onnx-eliminate-dead,onnx-simplify-shape-chains,onnx-eliminate-dead --split-input-file | filecheck %s

// The TorchScript pattern: a Reshape target computed at run time from Shape/Gather/Unsqueeze/Concat
// becomes a constant in Reshape's copy (0) form; batch and seq stay symbolic.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "reshape_chain", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, seq, 2, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, seq, 8], f32>):
      %i0 = "onnx.initializer"() <{name = "i0", value = #onnx.dense<i64 [] = [0]>}> : () -> !onnx.tensor<[], i64>
      %i1 = "onnx.initializer"() <{name = "i1", value = #onnx.dense<i64 [] = [1]>}> : () -> !onnx.tensor<[], i64>
      %ax = "onnx.initializer"() <{name = "ax", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %tail = "onnx.initializer"() <{name = "tail", value = #onnx.dense<i64 [2] = [2, 4]>}> : () -> !onnx.tensor<[2], i64>
      %s = "onnx.Shape"(%x) : (!onnx.tensor<[batch, seq, 8], f32>) -> !onnx.tensor<[3], i64>
      %b = "onnx.Gather"(%s, %i0) <{axis = 0 : i64}> : (!onnx.tensor<[3], i64>, !onnx.tensor<[], i64>) -> !onnx.tensor<[], i64>
      %q = "onnx.Gather"(%s, %i1) <{axis = 0 : i64}> : (!onnx.tensor<[3], i64>, !onnx.tensor<[], i64>) -> !onnx.tensor<[], i64>
      %ub = "onnx.Unsqueeze"(%b, %ax) : (!onnx.tensor<[], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1], i64>
      %uq = "onnx.Unsqueeze"(%q, %ax) : (!onnx.tensor<[], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1], i64>
      %t = "onnx.Concat"(%ub, %uq, %tail) <{axis = 0 : i64}> : (!onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[4], i64>
      %y = "onnx.Reshape"(%x, %t) : (!onnx.tensor<[batch, seq, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[batch, seq, 2, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, seq, 2, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "reshape_chain"
// CHECK:         %[[T:.*]] = "onnx.initializer"() <{{.*}}value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}>
// CHECK-NOT:     "onnx.Shape"
// CHECK-NOT:     "onnx.Concat"
// CHECK:         "onnx.Reshape"(%x, %[[T]])

// -----

// Merging the two symbolic dims into one needs -1 (only one may be inferred).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "reshape_infer", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<["batch*seq", 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, seq, 8], f32>):
      %s = "onnx.Shape"(%x) <{start = 0 : i64, end = 1 : i64}> : (!onnx.tensor<[batch, seq, 8], f32>) -> !onnx.tensor<[1], i64>
      %s2 = "onnx.Shape"(%x) <{start = 1 : i64, end = 2 : i64}> : (!onnx.tensor<[batch, seq, 8], f32>) -> !onnx.tensor<[1], i64>
      %m = "onnx.Mul"(%s, %s2) : (!onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1], i64>
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<i64 [1] = [8]>}> : () -> !onnx.tensor<[1], i64>
      %t = "onnx.Concat"(%m, %w) <{axis = 0 : i64}> : (!onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[2], i64>
      %y = "onnx.Reshape"(%x, %t) : (!onnx.tensor<[batch, seq, 8], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<["batch*seq", 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<["batch*seq", 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "reshape_infer"
// CHECK:         %[[T:.*]] = "onnx.initializer"() <{{.*}}value = #onnx.dense<i64 [2] = [-1, 8]>}>
// CHECK-NOT:     "onnx.Mul"
// CHECK:         "onnx.Reshape"(%x, %[[T]])

// -----

// reshape_chain_nofold: a target whose value depends on a runtime input's contents stays.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "reshape_chain_nofold", input_names = ["x", "shape"], output_names = ["y"], output_types = [!onnx.tensor<*, f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, seq, 8], f32>, %shape: !onnx.tensor<[2], i64>):
      %y = "onnx.Reshape"(%x, %shape) : (!onnx.tensor<[batch, seq, 8], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<*, f32>
      "onnx.return"(%y) : (!onnx.tensor<*, f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "reshape_chain_nofold"
// CHECK:         "onnx.Reshape"(%x, %shape)

// -----

// Expand to the input's own runtime shape: symbolic entries become 1s; a static shape value becomes a constant.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "expand_and_static", input_names = ["x"], output_names = ["y", "n"], output_types = [!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[1], i64>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 4], f32>):
      %s = "onnx.Shape"(%x) : (!onnx.tensor<[batch, 4], f32>) -> !onnx.tensor<[2], i64>
      %y = "onnx.Expand"(%x, %s) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[batch, 4], f32>
      %n = "onnx.Shape"(%x) <{start = 1 : i64}> : (!onnx.tensor<[batch, 4], f32>) -> !onnx.tensor<[1], i64>
      "onnx.return"(%y, %n) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[1], i64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "expand_and_static"
// CHECK-DAG:     %[[N:.*]] = "onnx.initializer"() <{{.*}}value = #onnx.dense<i64 [1] = [4]>}>
// CHECK-DAG:     %[[ONES:.*]] = "onnx.initializer"() <{{.*}}value = #onnx.dense<i64 [2] = [1, 4]>}>
// CHECK:         %[[Y:.*]] = "onnx.Expand"(%x, %[[ONES]])
// CHECK:         "onnx.return"(%[[Y]], %[[N]])

// -----

// expand_nofold: broadcasting to another tensor's symbolic shape cannot be a constant.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "expand_nofold", input_names = ["x", "z"], output_names = ["y"], output_types = [!onnx.tensor<[n, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[1, 4], f32>, %z: !onnx.tensor<[n, 4], f32>):
      %s = "onnx.Shape"(%z) : (!onnx.tensor<[n, 4], f32>) -> !onnx.tensor<[2], i64>
      %y = "onnx.Expand"(%x, %s) : (!onnx.tensor<[1, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[n, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[n, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "expand_nofold"
// CHECK:         %[[S:.*]] = "onnx.Shape"(%z)
// CHECK:         "onnx.Expand"(%x, %[[S]])
