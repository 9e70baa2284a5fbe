// RUN: forgec %s --passes=onnx-compose-transposes --emit=ir --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: forgec %s --passes=onnx-compose-transposes,onnx-compose-transposes --emit=ir --split-input-file | filecheck %s

// Transpose∘Transpose → one Transpose with the composed perm; a cancelling pair → x (also with an absent perm, made explicit from the rank).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "compose", input_names = ["x"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>):
      %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0, 2>}> : (!onnx.any) -> !onnx.any
      %c = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %d = "onnx.Transpose"(%c) <{perm = array<i64: 2, 0, 1>}> : (!onnx.any) -> !onnx.any
      %e = "onnx.Transpose"(%x) : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %f = "onnx.Transpose"(%e) : (!onnx.any) -> !onnx.any
      "onnx.return"(%b, %d, %f) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "compose"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3, 4], f32>):
// CHECK: %[[B:.*]] = "onnx.Transpose"(%[[X]]) <{perm = array<i64: 2, 1, 0>}>
// CHECK-NOT: "onnx.Transpose"
// CHECK: "onnx.return"(%[[B]], %[[X]], %[[X]])

// -----

// _nofold: the inner Transpose has another user and the pair does not cancel; absent perms of unknown rank.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "compose_nofold", input_names = ["x", "u"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %u: !onnx.any):
      %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0, 2>}> : (!onnx.any) -> !onnx.any
      %c = "onnx.Transpose"(%u) : (!onnx.any) -> !onnx.any
      %d = "onnx.Transpose"(%c) : (!onnx.any) -> !onnx.any
      "onnx.return"(%a, %b, %d) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "compose_nofold"
// CHECK: %[[A:.*]] = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}>
// CHECK: "onnx.Transpose"(%[[A]]) <{perm = array<i64: 1, 0, 2>}>
// CHECK: %[[C:.*]] = "onnx.Transpose"(%u)
// CHECK: "onnx.Transpose"(%[[C]])
