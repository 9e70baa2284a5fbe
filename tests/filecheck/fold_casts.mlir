// RUN: forgec %s --passes=onnx-fold-casts --emit=ir --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: forgec %s --passes=onnx-fold-casts,onnx-fold-casts --emit=ir --split-input-file | filecheck %s

// Through an exact wider type: back to the source type → x; to a third type → one Cast (type from the value or its constant).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts", input_names = ["h", "b", "i", "p"], output_names = ["y0", "y1", "y2", "y3", "y4"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%h: !onnx.tensor<[2], f16>, %b: !onnx.tensor<[2], bf16>, %i: !onnx.tensor<[2], i8>, %p: !onnx.tensor<[2], bool>):
      %a1 = "onnx.Cast_v6"(%h) <{to = 1 : i64}> : (!onnx.tensor<[2], f16>) -> !onnx.any
      %a2 = "onnx.Cast_v6"(%a1) <{to = 10 : i64}> : (!onnx.any) -> !onnx.any
      %b1 = "onnx.Cast_v6"(%b) <{to = 1 : i64}> : (!onnx.tensor<[2], bf16>) -> !onnx.any
      %b2 = "onnx.Cast_v6"(%b1) <{to = 11 : i64}> : (!onnx.any) -> !onnx.any
      %c1 = "onnx.Cast_v6"(%i) <{to = 6 : i64}> : (!onnx.tensor<[2], i8>) -> !onnx.any
      %c2 = "onnx.Cast_v6"(%c1) <{to = 3 : i64}> : (!onnx.any) -> !onnx.any
      %d1 = "onnx.Cast_v6"(%p) <{to = 7 : i64}> : (!onnx.tensor<[2], bool>) -> !onnx.any
      %d2 = "onnx.Cast_v6"(%d1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      %k = "onnx.Constant"() <{value = #onnx.dense<i32 [2] = [1, 2]>}> : () -> !onnx.any
      %e1 = "onnx.Cast_v6"(%k) <{to = 7 : i64}> : (!onnx.any) -> !onnx.any
      %e2 = "onnx.Cast_v6"(%e1) <{to = 6 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2, %b2, %c2, %d2, %e2) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts"
// CHECK: ^bb0(%[[H:.*]]: !onnx.tensor<[2], f16>, %[[B:.*]]: !onnx.tensor<[2], bf16>, %[[I:.*]]: !onnx.tensor<[2], i8>, %[[P:.*]]: !onnx.tensor<[2], bool>):
// CHECK: %[[B2:.*]] = "onnx.Cast_v6"(%[[B]]) <{to = 11 : i64}>
// CHECK: %[[D2:.*]] = "onnx.Cast_v6"(%[[P]]) <{to = 1 : i64}>
// CHECK: %[[K:.*]] = "onnx.Constant"
// CHECK-NOT: "onnx.Cast_v6"
// CHECK: "onnx.return"(%[[H]], %[[B2]], %[[I]], %[[D2]], %[[K]])

// -----

// _nofold: f32→f16→f32, float→int→float, int64→int32→int64, through bool, unknown source type.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts_nofold", input_names = ["f", "l", "i", "u"], output_names = ["y0", "y1", "y2", "y3", "y4"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%f: !onnx.tensor<[2], f32>, %l: !onnx.tensor<[2], i64>, %i: !onnx.tensor<[2], i32>, %u: !onnx.any):
      %a1 = "onnx.Cast_v6"(%f) <{to = 10 : i64}> : (!onnx.tensor<[2], f32>) -> !onnx.any
      %a2 = "onnx.Cast_v6"(%a1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      %b1 = "onnx.Cast_v6"(%f) <{to = 6 : i64}> : (!onnx.tensor<[2], f32>) -> !onnx.any
      %b2 = "onnx.Cast_v6"(%b1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      %c1 = "onnx.Cast_v6"(%l) <{to = 6 : i64}> : (!onnx.tensor<[2], i64>) -> !onnx.any
      %c2 = "onnx.Cast_v6"(%c1) <{to = 7 : i64}> : (!onnx.any) -> !onnx.any
      %d1 = "onnx.Cast_v6"(%i) <{to = 9 : i64}> : (!onnx.tensor<[2], i32>) -> !onnx.any
      %d2 = "onnx.Cast_v6"(%d1) <{to = 6 : i64}> : (!onnx.any) -> !onnx.any
      %e1 = "onnx.Cast_v6"(%u) <{to = 11 : i64}> : (!onnx.any) -> !onnx.any
      %e2 = "onnx.Cast_v6"(%e1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2, %b2, %c2, %d2, %e2) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts_nofold"
// CHECK-COUNT-10: "onnx.Cast_v6"

// -----

// The same on Cast-19 (saturate attribute): i8→i16→f32 → one Cast keeping the outer attributes.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 19 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts_v19", input_names = ["i"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%i: !onnx.tensor<[2], i8>):
      %a1 = "onnx.Cast_v19"(%i) <{to = 5 : i64, saturate = 1 : i64}> : (!onnx.tensor<[2], i8>) -> !onnx.any
      %a2 = "onnx.Cast_v19"(%a1) <{to = 1 : i64, saturate = 0 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts_v19"
// CHECK: "onnx.Cast_v19"(%i) <{to = 1 : i64, saturate = 0 : i64}>
// CHECK-NOT: "onnx.Cast_v19"

// -----

// _nofold: u8→i8 is not exact (i8 cannot hold 200).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 19 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts_v19_nofold", input_names = ["i"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%i: !onnx.tensor<[2], u8>):
      %a1 = "onnx.Cast_v19"(%i) <{to = 3 : i64}> : (!onnx.tensor<[2], u8>) -> !onnx.any
      %a2 = "onnx.Cast_v19"(%a1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts_v19_nofold"
// CHECK-COUNT-2: "onnx.Cast_v19"
