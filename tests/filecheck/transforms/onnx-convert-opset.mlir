// RUN: xdsl-opt %s -p 'onnx-convert-opset{opset=18}' --print-debuginfo | filecheck %s
// RUN: xdsl-opt %s -p 'onnx-convert-opset{opset=18},onnx-convert-opset{opset=18}' --print-debuginfo | filecheck %s
// Converting to the model's own opset changes nothing.
// RUN: xdsl-opt %s -p 'onnx-convert-opset{opset=11}' | filecheck %s --check-prefix=SAME

// Opset 11 → 18 by onnx's version converter: Squeeze's axes attribute becomes an input (Squeeze-13), node
// names stay.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 11 : i64}}> ({
    "onnx.graph"() <{name = "old_forms", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 1, 4], f32>):
      %s = "onnx.Squeeze_v1"(%x) <{axes = array<i64: 1>}> : (!onnx.tensor<[batch, 1, 4], f32>) -> !onnx.tensor<[batch, 4], f32> loc("squeeze")
      %y = "onnx.Relu"(%s) : (!onnx.tensor<[batch, 4], f32>) -> !onnx.tensor<[batch, 4], f32> loc("relu")
      "onnx.return"(%y) : (!onnx.tensor<[batch, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK: opset_import = {"" = 18 : i64}
// CHECK: %[[AXES:.*]] = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [1]>}>
// CHECK: %[[S:.*]] = "onnx.Squeeze"(%{{.*}}, %[[AXES]]) {{.*}} loc("squeeze")
// CHECK: "onnx.Relu"(%[[S]]) {{.*}} loc("relu")
// CHECK-NOT: Squeeze_v1
// SAME: opset_import = {"" = 11 : i64}
// SAME: "onnx.Squeeze_v1"(%x) <{axes = array<i64: 1>}>
