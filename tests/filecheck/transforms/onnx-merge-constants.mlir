// RUN: xdsl-opt %s -p onnx-merge-constants --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-merge-constants,onnx-merge-constants --split-input-file | filecheck %s

// Byte-identical initializers and Constants merge into the first; a subgraph's copy uses the outer one.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "merge", input_names = ["x", "c"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>, %c: !onnx.tensor<[], bool>):
      %w1 = "onnx.initializer"() <{name = "w1", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.any
      %w2 = "onnx.initializer"() <{name = "w2", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.any
      %k = "onnx.Constant"() <{value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.any
      %a = "onnx.Add"(%x, %w2) : (!onnx.tensor<[2], f32>, !onnx.any) -> !onnx.any
      %b = "onnx.Mul"(%a, %k) : (!onnx.any, !onnx.any) -> !onnx.any
      %r = "onnx.If"(%c) ({
        "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %e = "onnx.Constant"() <{value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2], f32>
          "onnx.return"(%e) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %t = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          "onnx.return"(%t) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%a, %b, %r) : (!onnx.any, !onnx.any, !onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "merge"
// CHECK: %[[W:.*]] = "onnx.initializer"() <{name = "w1"
// CHECK-NOT: onnx.initializer
// CHECK-NOT: onnx.Constant
// CHECK: "onnx.Add"(%{{.*}}, %[[W]])
// CHECK: "onnx.Mul"(%{{.*}}, %[[W]])
// CHECK-NOT: onnx.Constant
// CHECK: "onnx.return"(%[[W]])

// -----

// _nofold: same bytes with another dtype or dims, an input's default, copies in sibling subgraphs.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "merge_nofold", input_names = ["x", "d", "c"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>, %d: !onnx.any, %c: !onnx.tensor<[], bool>):
      %dflt = "onnx.initializer"() <{name = "d", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.any
      %w1 = "onnx.initializer"() <{name = "w1", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.any
      %w2 = "onnx.initializer"() <{name = "w2", value = #onnx.dense<i32 [2] = [1065353216, 1073741824]>}> : () -> !onnx.any
      %w3 = "onnx.initializer"() <{name = "w3", value = #onnx.dense<f32 [1, 2] = [1.0, 2.0]>}> : () -> !onnx.any
      %a = "onnx.Add"(%w1, %w2) : (!onnx.any, !onnx.any) -> !onnx.any
      %b = "onnx.Add"(%w3, %x) : (!onnx.any, !onnx.tensor<[2], f32>) -> !onnx.any
      %r = "onnx.If"(%c) ({
        "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %e = "onnx.Constant"() <{value = #onnx.dense<f32 [2] = [5.0, 6.0]>}> : () -> !onnx.tensor<[2], f32>
          "onnx.return"(%e) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %t = "onnx.Constant"() <{value = #onnx.dense<f32 [2] = [5.0, 6.0]>}> : () -> !onnx.tensor<[2], f32>
          "onnx.return"(%t) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%a, %b, %r) : (!onnx.any, !onnx.any, !onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "merge_nofold"
// CHECK: "onnx.initializer"() <{name = "d"
// CHECK: "onnx.initializer"() <{name = "w1"
// CHECK: "onnx.initializer"() <{name = "w2"
// CHECK: "onnx.initializer"() <{name = "w3"
// CHECK-COUNT-2: "onnx.Constant"
