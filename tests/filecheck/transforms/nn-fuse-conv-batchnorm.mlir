// RUN: xdsl-opt %s -p nn-fuse-conv-batchnorm --split-input-file --print-debuginfo | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p nn-fuse-conv-batchnorm,nn-fuse-conv-batchnorm --split-input-file --print-debuginfo | filecheck %s
// Lowering: nn.conv without activation is a plain Conv on every target.
// RUN: xdsl-opt %s -p 'nn-fuse-conv-batchnorm{target=ort},nn-lower{target=ort}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=LOW
//
// BatchNorm here: γ = [1, 3], β = [3, -1], mean = [1, 2], var = [4, 9], ε = 0, so s = γ/√var = [0.5, 1]
// and t = β − mean·s = [2.5, -3]: every folded value is exact.

// Conv → BN: W·s per output channel (row), bias (0 − mean)·s + β; the old constants go.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "conv_bn", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 2, 3, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 1, 3, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 1, 1, 1] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2, 1, 1, 1], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [2] = [1.0, 3.0]>}> : () -> !onnx.tensor<[2], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [2] = [3.0, -1.0]>}> : () -> !onnx.tensor<[2], f32>
      %mean = "onnx.initializer"() <{name = "mean", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2], f32>
      %var = "onnx.initializer"() <{name = "var", value = #onnx.dense<f32 [2] = [4.0, 9.0]>}> : () -> !onnx.tensor<[2], f32>
      %c = "onnx.Conv"(%x, %w, %none) <{kernel_shape = array<i64: 1, 1>, group = 1 : i64}> : (!onnx.tensor<[batch, 1, 3, 3], f32>, !onnx.tensor<[2, 1, 1, 1], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, 3, 3], f32> loc("conv")
      %y, %rm, %rv = "onnx.BatchNormalization"(%c, %gamma, %beta, %mean, %var) <{epsilon = 0.0 : f32}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.none, !onnx.none) loc("bn")
      "onnx.return"(%y) : (!onnx.tensor<[batch, 2, 3, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "conv_bn"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, 1, 3, 3], f32>{{.*}}):
// CHECK-NOT: name = "w",
// CHECK: %[[W:.*]] = "onnx.initializer"() <{name = "w_bn", value = #onnx.dense<f32 [2, 1, 1, 1] = [0.5, 2.0]>}>
// CHECK: %[[B:.*]] = "onnx.initializer"() <{name = "w_bn_bias", value = #onnx.dense<f32 [2] = [2.5, -3.0]>}>
// CHECK-NOT: name = "gamma"
// CHECK: %[[Y:.*]] = "nn.conv"(%[[X]], %[[W]], %[[B]]) <{conv_attrs = {kernel_shape = array<i64: 1, 1>, group = 1 : i64}, activation = ""}> : {{.*}} loc(fused["conv", "conv", "bn"])
// CHECK-NOT: "onnx.BatchNormalization"
// CHECK: "onnx.return"(%[[Y]])
// LOW-LABEL: name = "conv_bn"
// LOW: "onnx.Conv"(%{{.*}}, %{{.*}}, %{{.*}}) <{kernel_shape = array<i64: 1, 1>, group = 1 : i64}> : {{.*}} loc(fused["conv", "conv", "bn"])

// -----

// ConvTranspose (group 2) → BN: W is [C_in, M/group, k…]; rows 0-1 (group 0) make channel 0, rows 2-3 channel 1.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "conv_transpose_bn", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 2, 3, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 4, 3, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %w = "onnx.initializer"() <{name = "wt", value = #onnx.dense<f32 [4, 1, 1, 1] = [1.0, 1.0, 1.0, 1.0]>}> : () -> !onnx.tensor<[4, 1, 1, 1], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [2] = [1.0, 3.0]>}> : () -> !onnx.tensor<[2], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [2] = [3.0, -1.0]>}> : () -> !onnx.tensor<[2], f32>
      %mean = "onnx.initializer"() <{name = "mean", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2], f32>
      %var = "onnx.initializer"() <{name = "var", value = #onnx.dense<f32 [2] = [4.0, 9.0]>}> : () -> !onnx.tensor<[2], f32>
      %c = "onnx.ConvTranspose"(%x, %w, %none) <{group = 2 : i64}> : (!onnx.tensor<[batch, 4, 3, 3], f32>, !onnx.tensor<[4, 1, 1, 1], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, 3, 3], f32> loc("convt")
      %y, %rm, %rv = "onnx.BatchNormalization"(%c, %gamma, %beta, %mean, %var) <{epsilon = 0.0 : f32}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.none, !onnx.none) loc("bn")
      "onnx.return"(%y) : (!onnx.tensor<[batch, 2, 3, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "conv_transpose_bn"
// CHECK: %[[W:.*]] = "onnx.initializer"() <{name = "wt_bn", value = #onnx.dense<f32 [4, 1, 1, 1] = [0.5, 0.5, 1.0, 1.0]>}>
// CHECK: %[[B:.*]] = "onnx.initializer"() <{name = "wt_bn_bias", value = #onnx.dense<f32 [2] = [2.5, -3.0]>}>
// CHECK: %[[Y:.*]] = "onnx.ConvTranspose"(%{{.*}}, %[[W]], %[[B]]) <{group = 2 : i64}> : {{.*}} loc(fused["convt", "convt", "bn"])
// CHECK-NOT: "onnx.BatchNormalization"
// CHECK: "onnx.return"(%[[Y]])
// LOW-LABEL: name = "conv_transpose_bn"
// LOW: "onnx.ConvTranspose"

// -----

// Gemm (transB = 1, β_g = 2) → BN: rows of B (its columns after the transpose) scaled; C' = β_g·C·s + t, β_g = 1.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "gemm_bn", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[3, 2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[3, 2], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2, 2] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %cc = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [2] = [1.0, 1.0]>}> : () -> !onnx.tensor<[2], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [2] = [1.0, 3.0]>}> : () -> !onnx.tensor<[2], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [2] = [3.0, -1.0]>}> : () -> !onnx.tensor<[2], f32>
      %mean = "onnx.initializer"() <{name = "mean", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2], f32>
      %var = "onnx.initializer"() <{name = "var", value = #onnx.dense<f32 [2] = [4.0, 9.0]>}> : () -> !onnx.tensor<[2], f32>
      %g = "onnx.Gemm"(%x, %b, %cc) <{transB = 1 : i64, beta = 2.0 : f32}> : (!onnx.tensor<[3, 2], f32>, !onnx.tensor<[2, 2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[3, 2], f32> loc("gemm")
      %y, %rm, %rv = "onnx.BatchNormalization"(%g, %gamma, %beta, %mean, %var) <{epsilon = 0.0 : f32}> : (!onnx.tensor<[3, 2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> (!onnx.tensor<[3, 2], f32>, !onnx.none, !onnx.none) loc("bn")
      "onnx.return"(%y) : (!onnx.tensor<[3, 2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gemm_bn"
// CHECK: %[[W:.*]] = "onnx.initializer"() <{name = "b_bn", value = #onnx.dense<f32 [2, 2] = [0.5, 1.0, 3.0, 4.0]>}>
// CHECK: %[[C:.*]] = "onnx.initializer"() <{name = "b_bn_bias", value = #onnx.dense<f32 [2] = [3.5, -1.0]>}>
// CHECK: %[[Y:.*]] = "onnx.Gemm"(%{{.*}}, %[[W]], %[[C]]) <{transB = 1 : i64, beta = 1.000000e+00 : f32}>
// CHECK-NOT: "onnx.BatchNormalization"
// CHECK: "onnx.return"(%[[Y]])
// LOW-LABEL: name = "gemm_bn"
// LOW: "onnx.Gemm"

// -----

// _nofuse: a conv read by another op, a BN in training mode, and a BN before a conv (pre-activation order).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "conv_bn_nofuse", input_names = ["x"], output_names = ["y", "c", "t", "p"], output_types = [!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[batch, 2, 3, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 3, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 2, 1, 1] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[2, 2, 1, 1], f32>
      %gamma = "onnx.initializer"() <{name = "gamma", value = #onnx.dense<f32 [2] = [1.0, 3.0]>}> : () -> !onnx.tensor<[2], f32>
      %beta = "onnx.initializer"() <{name = "beta", value = #onnx.dense<f32 [2] = [3.0, -1.0]>}> : () -> !onnx.tensor<[2], f32>
      %mean = "onnx.initializer"() <{name = "mean", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2], f32>
      %var = "onnx.initializer"() <{name = "var", value = #onnx.dense<f32 [2] = [4.0, 9.0]>}> : () -> !onnx.tensor<[2], f32>
      %c = "onnx.Conv"(%x, %w, %none) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, 3, 3], f32> loc("conv_read_twice")
      %y, %rm1, %rv1 = "onnx.BatchNormalization"(%c, %gamma, %beta, %mean, %var) <{epsilon = 0.0 : f32}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.none, !onnx.none) loc("bn_after_shared_conv")
      %c2 = "onnx.Conv"(%x, %w, %none) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, 3, 3], f32> loc("conv_training")
      %t, %rm2, %rv2 = "onnx.BatchNormalization"(%c2, %gamma, %beta, %mean, %var) <{epsilon = 0.0 : f32, training_mode = 1 : i64}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.none, !onnx.none) loc("bn_training")
      %pre, %rm3, %rv3 = "onnx.BatchNormalization"(%x, %gamma, %beta, %mean, %var) <{epsilon = 0.0 : f32}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.none, !onnx.none) loc("bn_pre_activation")
      %p = "onnx.Conv"(%pre, %w, %none) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, 3, 3], f32> loc("conv_after_bn")
      "onnx.return"(%y, %c, %t, %p) : (!onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[batch, 2, 3, 3], f32>, !onnx.tensor<[batch, 2, 3, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "conv_bn_nofuse"
// CHECK-NOT: "nn.conv"
// CHECK: "onnx.BatchNormalization"(%{{.*}}, %gamma, %beta, %mean, %var) <{epsilon = 0.000000e+00 : f32}>
// CHECK-SAME: loc("bn_after_shared_conv")
// CHECK: "onnx.BatchNormalization"({{.*}}) <{epsilon = 0.000000e+00 : f32, training_mode = 1 : i64}>
// CHECK: "onnx.BatchNormalization"(%x, {{.*}}loc("bn_pre_activation")
// CHECK-NOT: "nn.conv"
// LOW-LABEL: name = "conv_bn_nofuse"
// LOW-NOT: "onnx.custom"
