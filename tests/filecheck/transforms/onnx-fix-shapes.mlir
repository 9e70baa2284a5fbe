// RUN: xdsl-opt %s -p 'onnx-fix-shapes{dims="batch=2","sequence=8"}' --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p 'onnx-fix-shapes{input-shapes="m=3,8"}' --split-input-file | filecheck %s --check-prefix=SHAPE
// RUN: xdsl-opt %s -p 'onnx-fix-shapes{dims="batch=n"}' --split-input-file | filecheck %s --check-prefix=RENAME
// No options: nothing changes.
// RUN: xdsl-opt %s -p onnx-fix-shapes --split-input-file | filecheck %s --check-prefix=NONE

// A symbol is replaced in the inputs, in every value type (expressions included) and in the declared outputs.
// CHECK-LABEL: name = "g"
// CHECK-SAME:  output_types = [!onnx.tensor<[2, 8], f32>, !onnx.tensor<[16], f32>]
// CHECK:       ^bb0(%{{.*}}: !onnx.tensor<[2, 8], f32>, %{{.*}}: !onnx.tensor<[2, ?], f32>):
// CHECK:       "onnx.Add"{{.*}} -> !onnx.tensor<[2, 8], f32>
// CHECK:       "onnx.Reshape"{{.*}} -> !onnx.tensor<[16], f32>

// A whole input shape: m's `batch` binds batch=3 everywhere (x too); its unnamed dim becomes 8 on m only.
// The declared z (batch*sequence) takes the inferred 24 (broadcasting x's sequence with m's 8 gives 8);
// y's `sequence` names no fixed symbol and is left to onnx-infer-shapes.
// SHAPE-LABEL: name = "g"
// SHAPE-SAME:  output_types = [!onnx.tensor<[3, sequence], f32>, !onnx.tensor<[24], f32>]
// SHAPE:       ^bb0(%{{.*}}: !onnx.tensor<[3, sequence], f32>, %{{.*}}: !onnx.tensor<[3, 8], f32>):

// A name for a value renames the symbol.
// RENAME-LABEL: name = "g"
// RENAME-SAME:  output_types = [!onnx.tensor<[n, sequence], f32>, !onnx.tensor<["n*sequence"], f32>]
// RENAME:       ^bb0(%{{.*}}: !onnx.tensor<[n, sequence], f32>, %{{.*}}: !onnx.tensor<[n, ?], f32>):
// RENAME:       "onnx.Reshape"{{.*}} -> !onnx.tensor<["n*sequence"], f32>

// NONE-LABEL: name = "g"
// NONE-SAME:  output_types = [!onnx.tensor<[batch, sequence], f32>, !onnx.tensor<["batch*sequence"], f32>]
// NONE:       ^bb0(%{{.*}}: !onnx.tensor<[batch, sequence], f32>, %{{.*}}: !onnx.tensor<[batch, ?], f32>):
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "g", input_names = ["x", "m"], output_names = ["y", "z"], output_types = [!onnx.tensor<[batch, sequence], f32>, !onnx.tensor<["batch*sequence"], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence], f32>, %m: !onnx.tensor<[batch, ?], f32>):
      %s = "onnx.initializer"() <{name = "s", value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %y = "onnx.Add"(%x, %m) : (!onnx.tensor<[batch, sequence], f32>, !onnx.tensor<[batch, ?], f32>) -> !onnx.tensor<[batch, sequence], f32>
      %z = "onnx.Reshape"(%y, %s) : (!onnx.tensor<[batch, sequence], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<["batch*sequence"], f32>
      "onnx.return"(%y, %z) : (!onnx.tensor<[batch, sequence], f32>, !onnx.tensor<["batch*sequence"], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()

// -----

// A declared output dim named after a fixed symbol takes the inferred size, not the substituted one: the
// declaration of `y` says `batch` for a dim that is always 1 (as TorchScript's mobilenet_v2 does).
// CHECK-LABEL: name = "wrong_name"
// CHECK-SAME:  output_types = [!onnx.tensor<[2, 1], f32>]
// SHAPE-LABEL: name = "wrong_name"
// SHAPE-SAME:  output_types = [!onnx.tensor<[3, 1], f32>]
// RENAME-LABEL: name = "wrong_name"
// RENAME-SAME:  output_types = [!onnx.tensor<[n, 1], f32>]
// NONE-LABEL: name = "wrong_name"
// NONE-SAME:  output_types = [!onnx.tensor<[batch, batch], f32>]
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "wrong_name", input_names = ["m"], output_names = ["y"], output_types = [!onnx.tensor<[batch, batch], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence], f32>):
      %a = "onnx.initializer"() <{name = "a", value = #onnx.dense<i64 [1] = [1]>}> : () -> !onnx.tensor<[1], i64>
      %y = "onnx.ReduceMean"(%x, %a) : (!onnx.tensor<[batch, sequence], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      "onnx.return"(%y) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
