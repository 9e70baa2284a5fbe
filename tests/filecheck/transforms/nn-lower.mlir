// RUN: xdsl-opt %s -p 'nn-lower{target=standard}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=STD
// RUN: xdsl-opt %s -p 'nn-lower{target=ort}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=ORT
// RUN: xdsl-opt %s -p 'nn-lower{target=portable}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=PORT
// RUN: xdsl-opt %s -p 'nn-lower{target=tensorrt}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=TRT
// Idempotence: nothing of nn is left for a second run.
// RUN: xdsl-opt %s -p 'nn-lower{target=portable},nn-lower{target=portable}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=PORT

// nn ops written by fusions (their locations list the nodes they replaced), lowered per target. Every
// op a lowering writes keeps that list; the first op that is not a constant keeps the fused op's node
// name, the others are named <name>/<OpType>_<i>.

// LayerNorm and exact GELU at opset 20: standard ops for standard and tensorrt (its parser reads both),
// onnxruntime's contrib Gelu for ort (the model then imports com.microsoft), a decomposition for portable.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 20 : i64}}> ({
    "onnx.graph"() <{name = "norm_gelu", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 4], f32>):
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %none = "onnx.novalue"() : () -> !onnx.none
      %n = "nn.layer_norm"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32> loc(fused["ln", "ln/mean", "ln/sub", "ln/div"])
      %y = "nn.gelu"(%n, %none) <{approximate = "none"}> : (!onnx.tensor<[batch, 4], f32>, !onnx.none) -> !onnx.tensor<[batch, 4], f32> loc(fused["gelu", "gelu/div", "gelu/erf", "gelu/mul"])
      "onnx.return"(%y) : (!onnx.tensor<[batch, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// STD: opset_import = {"" = 20 : i64}
// STD: %n, %{{.*}}, %{{.*}} = "onnx.LayerNormalization"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> {{.*}} loc(fused["ln", "ln/mean", "ln/sub", "ln/div"])
// STD: %y = "onnx.Gelu"(%n) <{approximate = "none"}> {{.*}} loc(fused["gelu", "gelu/div", "gelu/erf", "gelu/mul"])
// STD-NOT: "nn.
// ORT: opset_import = {"" = 20 : i64, com.microsoft = 1 : i64}
// ORT: %n, %{{.*}}, %{{.*}} = "onnx.LayerNormalization"(%x, %gamma, %beta)
// ORT: %y = "onnx.custom"(%n) <{domain = "com.microsoft", op_type = "Gelu", attrs = {}, graph_attrs = []}> {{.*}} loc(fused["gelu", "gelu/div", "gelu/erf", "gelu/mul"])
// ORT-NOT: "nn.
// TRT: opset_import = {"" = 20 : i64}
// TRT: %n, %{{.*}}, %{{.*}} = "onnx.LayerNormalization"(%x, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> {{.*}} loc(fused["ln", "ln/mean", "ln/sub", "ln/div"])
// TRT: %y = "onnx.Gelu"(%n) <{approximate = "none"}> {{.*}} loc(fused["gelu", "gelu/div", "gelu/erf", "gelu/mul"])
// TRT-NOT: "nn.
// TRT-NOT: com.microsoft
// PORT: opset_import = {"" = 20 : i64}
// PORT: %[[MEAN:.*]] = "onnx.ReduceMean"(%x, %{{.*}}) {{.*}} loc(fused["ln", "ln/mean", "ln/sub", "ln/div"])
// PORT: %[[CENTRED:.*]] = "onnx.Sub"(%x, %[[MEAN]])
// PORT: "onnx.Sqrt"
// PORT: %[[NORMED:.*]] = "onnx.Div"(%[[CENTRED]], %{{.*}})
// PORT: %[[SCALED:.*]] = "onnx.Mul"(%[[NORMED]], %gamma)
// PORT: %n = "onnx.Add"(%[[SCALED]], %beta) {{.*}} loc(fused["ln/Add_{{[0-9]+}}", "ln/mean", "ln/sub", "ln/div"])
// PORT: "onnx.Div"(%n, %{{.*}}) {{.*}} loc(fused["gelu", "gelu/div", "gelu/erf", "gelu/mul"])
// PORT: "onnx.Erf"
// PORT: %y = "onnx.Mul"({{.*}}) {{.*}} loc(fused["gelu/Mul_{{[0-9]+}}", "gelu/div", "gelu/erf", "gelu/mul"])
// PORT-NOT: "nn.
// PORT-NOT: com.microsoft

// -----

// A projection over [batch, sequence, features]: MatMul then the bias Add, for every target; the MatMul
// keeps the node name.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "linear", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, sequence, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 2], f32>):
      %weight = "onnx.initializer"() <{name = "weight", value = #onnx.dense<f32 [2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]>}> : () -> !onnx.tensor<[2, 3], f32>
      %bias = "onnx.initializer"() <{name = "bias", value = #onnx.dense<f32 [3] = [0.5, 0.25, -1.0]>}> : () -> !onnx.tensor<[3], f32>
      %y = "nn.linear"(%x, %weight, %bias) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 3], f32>, !onnx.tensor<[3], f32>) -> !onnx.tensor<[batch, sequence, 3], f32> loc(fused["proj", "proj/matmul", "proj/add"])
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// STD: %[[MM:.*]] = "onnx.MatMul"(%x, %weight) {{.*}} loc(fused["proj", "proj/matmul", "proj/add"])
// STD-NEXT: %y = "onnx.Add"(%[[MM]], %bias) {{.*}} loc(fused["proj/Add_1", "proj/matmul", "proj/add"])
// ORT: %[[MM:.*]] = "onnx.MatMul"(%x, %weight)
// ORT-NEXT: %y = "onnx.Add"(%[[MM]], %bias)
// ORT-NOT: com.microsoft
// PORT: %[[MM:.*]] = "onnx.MatMul"(%x, %weight)
// PORT-NEXT: %y = "onnx.Add"(%[[MM]], %bias)
// TRT: %[[MM:.*]] = "onnx.MatMul"(%x, %weight)
// TRT-NEXT: %y = "onnx.Add"(%[[MM]], %bias)
