// RUN: xdsl-opt %s -p onnx-fold-neutral-elements,onnx-eliminate-dead --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-fold-neutral-elements,onnx-eliminate-dead,onnx-fold-neutral-elements --split-input-file | filecheck %s

// LayerNorm's tail with β = 0 (random-init exports): the Add goes. The exact neutral elements (x·1, x - 0,
// x / 1) are canonicalization (tests/filecheck/dialects/onnx/canonicalize.mlir): this pass leaves them.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "neutral", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 4], f32>):
      %g = "onnx.initializer"() <{name = "g", value = #onnx.dense<f32 [4] = [1.0, 1.0, 1.0, 1.0]>}> : () -> !onnx.tensor<[4], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [4] = [0.0, 0.0, 0.0, 0.0]>}> : () -> !onnx.tensor<[4], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %m = "onnx.Mul"(%x, %g) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32>
      %a = "onnx.Add"(%b, %m) : (!onnx.tensor<[4], f32>, !onnx.tensor<[batch, 4], f32>) -> !onnx.tensor<[batch, 4], f32>
      %s = "onnx.Sub"(%a, %b) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32>
      %y = "onnx.Div"(%s, %one) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "neutral"
// CHECK:         %[[M:.*]] = "onnx.Mul"(%x, %g)
// CHECK-NOT:     "onnx.Add"
// CHECK:         %[[S:.*]] = "onnx.Sub"(%[[M]], %b)
// CHECK:         %[[Y:.*]] = "onnx.Div"(%[[S]], %one)
// CHECK:         "onnx.return"(%[[Y]])

// -----

// neutral_nofold: a constant that broadcasts x larger, a non-neutral one, 0 - x and 1 / x all stay.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "neutral_nofold", input_names = ["x"], output_names = ["a", "b", "c", "d"], output_types = [!onnx.tensor<[3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[4], f32>):
      %z = "onnx.initializer"() <{name = "z", value = #onnx.dense<f32 [3, 4] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]>}> : () -> !onnx.tensor<[3, 4], f32>
      %h = "onnx.initializer"() <{name = "h", value = #onnx.dense<f32 [4] = [1.0, 1.0, 1.0, 2.0]>}> : () -> !onnx.tensor<[4], f32>
      %zero = "onnx.initializer"() <{name = "zero", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %a = "onnx.Add"(%x, %z) : (!onnx.tensor<[4], f32>, !onnx.tensor<[3, 4], f32>) -> !onnx.tensor<[3, 4], f32>
      %b = "onnx.Mul"(%x, %h) : (!onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[4], f32>
      %c = "onnx.Sub"(%zero, %x) : (!onnx.tensor<[], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[4], f32>
      %d = "onnx.Div"(%one, %x) : (!onnx.tensor<[], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[4], f32>
      "onnx.return"(%a, %b, %c, %d) : (!onnx.tensor<[3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "neutral_nofold"
// CHECK:         "onnx.Add"
// CHECK:         "onnx.Mul"
// CHECK:         "onnx.Sub"
// CHECK:         "onnx.Div"
