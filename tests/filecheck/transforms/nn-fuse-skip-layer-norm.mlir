// RUN: xdsl-opt %s -p 'nn-fuse-skip-layer-norm{target=ort}' --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p 'nn-fuse-skip-layer-norm{target=ort},nn-fuse-skip-layer-norm{target=ort}' --split-input-file | filecheck %s
// Lowering: com.microsoft SkipLayerNormalization under ort (the sum is output 3, written when read).
// RUN: xdsl-opt %s -p 'nn-fuse-skip-layer-norm{target=ort},nn-lower{target=ort}' --split-input-file | filecheck %s --check-prefix=ORT
// Other targets have no single op for it: nothing fuses.
// RUN: xdsl-opt %s -p 'nn-fuse-skip-layer-norm{target=standard},nn-lower{target=standard}' --split-input-file | filecheck %s --check-prefix=STD

// BERT's post-LN residual: LayerNorm(a + b) with the sum read by nothing else.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "skip_post", input_names = ["a", "b"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, sequence, 4], f32>]}> ({
    ^bb0(%a: !onnx.tensor<[batch, sequence, 4], f32>, %b: !onnx.tensor<[batch, sequence, 4], f32>):
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %s = "onnx.Add"(%a, %b) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %y = "nn.layer_norm"(%s, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "skip_post"
// CHECK: %[[NONE:.*]] = "onnx.novalue"()
// CHECK: %[[Y:.*]], %{{.*}} = "nn.skip_layer_norm"(%a, %b, %gamma, %beta, %[[NONE]]) <{epsilon = 1.000000e-05 : f32}>
// CHECK-NOT: "onnx.Add"(
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "skip_post"
// ORT: %[[Y:.*]], %{{.*}}, %{{.*}}, %{{.*}} = "onnx.custom"(%a, %b, %gamma, %beta, %{{.*}}) <{domain = "com.microsoft", op_type = "SkipLayerNormalization", attrs = {epsilon = 1.000000e-05 : f32}
// ORT-SAME: -> ({{.*}}, !onnx.none, !onnx.none, !onnx.none)
// ORT: "onnx.return"(%[[Y]])
// STD-LABEL: name = "skip_post"
// STD: "onnx.Add"(%a, %b)
// STD: "onnx.LayerNormalization"

// -----

// GPT-2's pre-LN residual: the sum is also read by the next residual Add (it becomes the op's second
// result), and the addend Add(MatMul, bias) gives its bias to the op (skip_bias).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "skip_pre_bias", input_names = ["mm", "r"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, sequence, 4], f32>]}> ({
    ^bb0(%mm: !onnx.tensor<[batch, sequence, 4], f32>, %r: !onnx.tensor<[batch, sequence, 4], f32>):
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %bias = "onnx.initializer"() <{name = "bias", value = #onnx.dense<f32 [4] = [0.1, 0.2, 0.3, 0.4]>}> : () -> !onnx.tensor<[4], f32>
      %m = "onnx.Add"(%mm, %bias) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %s = "onnx.Add"(%r, %m) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %n = "nn.layer_norm"(%s, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      %y = "onnx.Add"(%s, %n) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "skip_pre_bias"
// CHECK: %[[N:.*]], %[[S:.*]] = "nn.skip_layer_norm"(%mm, %r, %gamma, %beta, %bias) <{epsilon = 1.000000e-05 : f32}>
// CHECK-NOT: "onnx.Add"(%mm
// CHECK: %[[Y:.*]] = "onnx.Add"(%[[S]], %[[N]])
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "skip_pre_bias"
// ORT: %[[N:.*]], %{{.*}}, %{{.*}}, %[[S:.*]] = "onnx.custom"(%mm, %r, %gamma, %beta, %bias) <{domain = "com.microsoft", op_type = "SkipLayerNormalization"
// ORT-SAME: -> ({{.*}}, !onnx.none, !onnx.none, !onnx.tensor<[batch, sequence, 4], f32>)
// ORT: "onnx.Add"(%[[S]], %[[N]])
// STD-LABEL: name = "skip_pre_bias"
// STD: "onnx.LayerNormalization"

// -----

// skip_nofuse: a LayerNorm over two dims; a skip [batch, 1, 4] that broadcasts over the sequence (not a
// shape SkipLayerNormalization takes); a sum read before a LayerNorm whose γ is defined after the Add.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "skip_nofuse", input_names = ["a", "b", "c"], output_names = ["y0", "y1", "y2", "y3"], output_types = [!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>]}> ({
    ^bb0(%a: !onnx.tensor<[batch, 3, 4], f32>, %b: !onnx.tensor<[batch, 3, 4], f32>, %c: !onnx.tensor<[batch, 1, 4], f32>):
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[4], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [4] = [0.5, 0.25, 0.0, -1.0]>}> : () -> !onnx.tensor<[4], f32>
      %g34 = "onnx.initializer"() <{name = "g34", value = #onnx.dense<f32 [3, 4] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>}> : () -> !onnx.tensor<[3, 4], f32>
      %none = "onnx.novalue"() : () -> !onnx.none
      %s1 = "onnx.Add"(%a, %b) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %y1 = "nn.layer_norm"(%s1, %g34, %none) <{axis = -2 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[3, 4], f32>, !onnx.none) -> !onnx.tensor<[batch, 3, 4], f32>
      %s2 = "onnx.Add"(%a, %c) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 1, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %y2 = "nn.layer_norm"(%s2, %gamma, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %s3 = "onnx.Add"(%a, %b) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %early = "onnx.Neg"(%s3) : (!onnx.tensor<[batch, 3, 4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %late = "onnx.Constant"() <{value = #onnx.dense<f32 [4] = [1.0, 1.0, 1.0, 1.0]>}> : () -> !onnx.tensor<[4], f32>
      %y3 = "nn.layer_norm"(%s3, %late, %beta) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      "onnx.return"(%y1, %y2, %y3, %early) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "skip_nofuse"
// CHECK-NOT: "nn.skip_layer_norm"
// CHECK-COUNT-3: "nn.layer_norm"
// ORT-LABEL: name = "skip_nofuse"
// ORT-NOT: op_type = "SkipLayerNormalization"
// ORT-COUNT-3: "onnx.LayerNormalization"(
// STD-LABEL: name = "skip_nofuse"
// STD-COUNT-3: "onnx.LayerNormalization"(
