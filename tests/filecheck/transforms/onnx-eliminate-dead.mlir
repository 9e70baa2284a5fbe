// RUN: xdsl-opt %s -p onnx-eliminate-dead --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-eliminate-dead,onnx-eliminate-dead --split-input-file | filecheck %s

// A dead chain goes, with the initializer only it used.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "dead_chain", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2], f32>
      %y = "onnx.Relu"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %d1 = "onnx.Add"(%y, %w) : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %d2 = "onnx.Neg"(%d1) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "dead_chain"
// CHECK-NOT:     onnx.initializer
// CHECK:         %[[Y:.*]] = "onnx.Relu"
// CHECK-NOT:     onnx.Add
// CHECK-NOT:     onnx.Neg
// CHECK:         "onnx.return"(%[[Y]])

// -----

// _nofold: used values, custom-domain ops and an input's default initializer stay.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64, "com.example" = 1 : i64}}> ({
    "onnx.graph"() <{name = "dead_chain_nofold", input_names = ["x", "d"], output_names = ["y"], output_types = [!onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>, %d: !onnx.tensor<[2], f32>):
      %def = "onnx.initializer"() <{name = "d", value = #onnx.dense<f32 [2] = [0.0, 0.0]>}> : () -> !onnx.tensor<[2], f32>
      %y = "onnx.Add"(%x, %d) : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %c = "onnx.custom"(%x) <{domain = "com.example", op_type = "Probe", attrs = {}, graph_attrs = []}> : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "dead_chain_nofold"
// CHECK:         "onnx.initializer"() <{name = "d"
// CHECK:         "onnx.Add"
// CHECK:         "onnx.custom"
