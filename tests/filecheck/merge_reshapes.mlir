// RUN: forgec %s --passes=onnx-merge-reshapes --emit=ir --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: forgec %s --passes=onnx-merge-reshapes,onnx-merge-reshapes --emit=ir --split-input-file | filecheck %s

// Reshape of Reshape/Flatten/Squeeze/Unsqueeze reads x when the outer shape is a constant without 0s (or allowzero=1).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "merge_reshapes", input_names = ["x", "s", "z"], output_names = ["y0", "y1", "y2", "y3", "y4"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2], i64>, %z: !onnx.tensor<[1, 0, 4], f32>):
      %k6 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [6, 4]>}> : () -> !onnx.tensor<[2], i64>
      %k24 = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [24]>}> : () -> !onnx.tensor<[1], i64>
      %km = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [-1, 2]>}> : () -> !onnx.tensor<[2], i64>
      %kz = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [4, 0]>}> : () -> !onnx.tensor<[2], i64>
      %ax = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %a = "onnx.Reshape"(%x, %s) <{allowzero = 0 : i64}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %b = "onnx.Reshape"(%a, %k6) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %c = "onnx.Flatten"(%x) <{axis = 1 : i64}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %d = "onnx.Reshape"(%c, %k24) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[1], i64>) -> !onnx.any
      %e = "onnx.Unsqueeze"(%x, %ax) : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      %f = "onnx.Reshape"(%e, %km) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %none = "onnx.novalue"() : () -> !onnx.none
      %g = "onnx.Squeeze"(%z, %ax) : (!onnx.tensor<[1, 0, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      %h = "onnx.Reshape"(%g, %kz) <{allowzero = 1 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %j = "onnx.Reshape"(%x, %k24) <{allowzero = 0 : i64}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      "onnx.return"(%b, %d, %f, %h, %j) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "merge_reshapes"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3, 4], f32>, %{{.*}}: !onnx.tensor<[2], i64>, %[[Z:.*]]: !onnx.tensor<[1, 0, 4], f32>):
// CHECK-NOT: "onnx.Flatten"
// CHECK-NOT: "onnx.Squeeze"
// CHECK-NOT: "onnx.Unsqueeze"
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK: "onnx.Reshape"(%[[Z]], %{{.*}}) <{allowzero = 1 : i64}>
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK-NOT: "onnx.Reshape"

// -----

// _nofold: a copying 0 in the outer shape, a non-constant outer shape, an inner op that is not a reshape.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "merge_reshapes_nofold", input_names = ["x", "s"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2], i64>):
      %kz = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, 12]>}> : () -> !onnx.tensor<[2], i64>
      %k24 = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [24]>}> : () -> !onnx.tensor<[1], i64>
      %a = "onnx.Flatten"(%x) <{axis = 1 : i64}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %b = "onnx.Reshape"(%a, %kz) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %c = "onnx.Flatten"(%x) <{axis = 2 : i64}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %d = "onnx.Reshape"(%c, %s) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %e = "onnx.Transpose"(%x) <{perm = array<i64: 2, 1, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %f = "onnx.Reshape"(%e, %k24) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[1], i64>) -> !onnx.any
      "onnx.return"(%b, %d, %f) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "merge_reshapes_nofold"
// CHECK: %[[A:.*]] = "onnx.Flatten"
// CHECK: "onnx.Reshape"(%[[A]]
// CHECK: %[[C:.*]] = "onnx.Flatten"
// CHECK: "onnx.Reshape"(%[[C]]
// CHECK: %[[E:.*]] = "onnx.Transpose"
// CHECK: "onnx.Reshape"(%[[E]]
