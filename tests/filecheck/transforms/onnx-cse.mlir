// RUN: xdsl-opt %s -p onnx-cse --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-cse,onnx-cse --split-input-file | filecheck %s

// Same op, operands and properties merge, whatever their names, docs and metadata; a subgraph reuses the outer value.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "cse", input_names = ["x", "c"], output_names = ["y0", "y1"], output_types = [!onnx.any, !onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>, %c: !onnx.tensor<[], bool>):
      %a = "onnx.Add"(%x, %x) {onnx.names = ["a"], onnx.doc = "first"} : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.any
      %b = "onnx.Add"(%x, %x) {onnx.names = ["b"], onnx.metadata = {k = "v"}} : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %s1 = "onnx.Softmax"(%a) <{axis = 0 : i64}> : (!onnx.any) -> !onnx.any
      %s2 = "onnx.Softmax"(%b) <{axis = 0 : i64}> : (!onnx.tensor<[2], f32>) -> !onnx.any
      %m = "onnx.Mul"(%s1, %s2) : (!onnx.any, !onnx.any) -> !onnx.any
      %r = "onnx.If"(%c) ({
        "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %e = "onnx.Add"(%x, %x) : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          "onnx.return"(%e) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %t = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          "onnx.return"(%t) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%m, %r) : (!onnx.any, !onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "cse"
// CHECK: %[[A:.*]] = "onnx.Add"
// CHECK-NOT: "onnx.Add"
// CHECK: %[[S:.*]] = "onnx.Softmax"(%[[A]])
// CHECK-NOT: "onnx.Softmax"
// CHECK: "onnx.Mul"(%[[S]], %[[S]])
// CHECK-NOT: "onnx.Add"
// CHECK: "onnx.return"(%[[A]])

// -----

// _nofold: other properties, random ops, training Dropout, ops with regions, custom ops, and an outer op equal to an earlier subgraph op.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, "com.example" = 1 : i64}}> ({
    "onnx.graph"() <{name = "cse_nofold", input_names = ["x", "c"], output_names = ["y0", "y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8", "y9", "y10"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>, %c: !onnx.tensor<[], bool>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %a = "onnx.Softmax"(%x) <{axis = 0 : i64}> : (!onnx.tensor<[2], f32>) -> !onnx.any
      %b = "onnx.Softmax"(%x) <{axis = -1 : i64}> : (!onnx.tensor<[2], f32>) -> !onnx.any
      %r1 = "onnx.RandomUniformLike"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.any
      %r2 = "onnx.RandomUniformLike"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.any
      %tr = "onnx.Constant"() <{value = #onnx.dense<bool [] = [true]>}> : () -> !onnx.tensor<[], bool>
      %d1, %m1 = "onnx.Dropout"(%x, %none, %tr) : (!onnx.tensor<[2], f32>, !onnx.none, !onnx.tensor<[], bool>) -> (!onnx.any, !onnx.none)
      %d2, %m2 = "onnx.Dropout"(%x, %none, %tr) : (!onnx.tensor<[2], f32>, !onnx.none, !onnx.tensor<[], bool>) -> (!onnx.any, !onnx.none)
      %i1 = "onnx.If"(%c) ({
        "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %e1 = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          "onnx.return"(%e1) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %t1 = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          "onnx.return"(%t1) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2], f32>
      %i2 = "onnx.If"(%c) ({
        "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %e2 = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          "onnx.return"(%e2) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2], f32>]}> ({
          %t2 = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          "onnx.return"(%t2) : (!onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2], f32>
      %u1 = "onnx.custom"(%x) <{domain = "com.example", op_type = "Probe", attrs = {}, graph_attrs = []}> : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %u2 = "onnx.custom"(%x) <{domain = "com.example", op_type = "Probe", attrs = {}, graph_attrs = []}> : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %n = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%a, %b, %r1, %r2, %d1, %d2, %i1, %i2, %u1, %u2, %n) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "cse_nofold"
// CHECK-COUNT-2: "onnx.Softmax"
// CHECK-COUNT-2: "onnx.RandomUniformLike"
// CHECK-COUNT-2: "onnx.Dropout"
// CHECK: "onnx.If"
// CHECK-COUNT-2: "onnx.Neg"
// CHECK: "onnx.If"
// CHECK-COUNT-2: "onnx.Neg"
// CHECK-COUNT-2: "onnx.custom"
// CHECK: %[[N:.*]] = "onnx.Neg"(%x)
// CHECK: "onnx.return"({{.*}}, %[[N]])
