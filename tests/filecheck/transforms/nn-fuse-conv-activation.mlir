// RUN: xdsl-opt %s -p nn-fuse-conv-activation --split-input-file --print-debuginfo | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p nn-fuse-conv-activation,nn-fuse-conv-activation --split-input-file --print-debuginfo | filecheck %s
// Lowering: Conv + the activation on every target (onnxruntime fuses them itself; FusedConv measured slower).
// RUN: xdsl-opt %s -p 'nn-fuse-conv-activation{target=ort},nn-lower{target=ort}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=STD
// RUN: xdsl-opt %s -p nn-fuse-conv-activation,nn-lower --split-input-file --print-debuginfo | filecheck %s --check-prefix=STD

// Conv → Relu (the Relu output may have several readers).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "conv_relu", input_names = ["x"], output_names = ["r", "r2"], output_types = [!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 4, 4], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 2, 1, 1] = [1.0, -2.0, 3.0, 0.5]>}> : () -> !onnx.tensor<[2, 2, 1, 1], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2] = [0.25, -0.5]>}> : () -> !onnx.tensor<[2], f32>
      %y = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("conv")
      %r = "onnx.Relu"(%y) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("relu")
      "onnx.return"(%r, %r) : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "conv_relu"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, 2, 4, 4], f32>{{.*}}):
// CHECK: %[[R:.*]] = "nn.conv"(%[[X]], %w, %b) <{conv_attrs = {kernel_shape = array<i64: 1, 1>}, activation = "Relu"}> : {{.*}} loc(fused["conv", "conv", "relu"])
// CHECK-NOT: "onnx.Relu"
// CHECK: "onnx.return"(%[[R]], %[[R]])
// STD-LABEL: name = "conv_relu"
// STD: %[[Y:.*]] = "onnx.Conv"(%x, %w, %b)
// STD-NEXT: "onnx.Relu"(%[[Y]]) {{.*}}loc(fused["conv/Relu_1", "conv", "relu"])

// -----

// Conv → Clip(0, 6) (ReLU6, MobileNet): the constant bounds become activation_params.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "conv_clip", input_names = ["x"], output_names = ["r"], output_types = [!onnx.tensor<[batch, 2, 4, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 4, 4], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 2, 1, 1] = [1.0, -2.0, 3.0, 0.5]>}> : () -> !onnx.tensor<[2, 2, 1, 1], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2] = [0.25, -0.5]>}> : () -> !onnx.tensor<[2], f32>
      %lo = "onnx.initializer"() <{name = "lo", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %hi = "onnx.initializer"() <{name = "hi", value = #onnx.dense<f32 [] = [6.0]>}> : () -> !onnx.tensor<[], f32>
      %y = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("conv")
      %r = "onnx.Clip"(%y, %lo, %hi) : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("clip")
      "onnx.return"(%r) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "conv_clip"
// CHECK: "nn.conv"(%x, %w, %b) <{conv_attrs = {kernel_shape = array<i64: 1, 1>}, activation = "Clip", activation_params = [0.000000e+00 : f32, 6.000000e+00 : f32]}>
// CHECK-NOT: "onnx.Clip"
// STD-LABEL: name = "conv_clip"
// STD: %[[Y:.*]] = "onnx.Conv"(%x, %w, %b)
// STD: %[[LO:.*]] = "onnx.Constant"() <{value = #onnx.dense<f32 [] = [0.0]>}>
// STD: %[[HI:.*]] = "onnx.Constant"() <{value = #onnx.dense<f32 [] = [6.0]>}>
// STD: "onnx.Clip"(%[[Y]], %[[LO]], %[[HI]])

// -----

// nn.conv without activation (a folded BatchNorm) → LeakyRelu: the sources of both are kept.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "nn_conv_leaky_relu", input_names = ["x"], output_names = ["r"], output_types = [!onnx.tensor<[batch, 2, 4, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 4, 4], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 2, 1, 1] = [1.0, -2.0, 3.0, 0.5]>}> : () -> !onnx.tensor<[2, 2, 1, 1], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2] = [0.25, -0.5]>}> : () -> !onnx.tensor<[2], f32>
      %y = "nn.conv"(%x, %w, %b) <{conv_attrs = {kernel_shape = array<i64: 1, 1>}, activation = ""}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc(fused["conv", "conv", "bn"])
      %r = "onnx.LeakyRelu"(%y) <{alpha = 2.000000e-01 : f32}> : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("leaky")
      "onnx.return"(%r) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "nn_conv_leaky_relu"
// CHECK: "nn.conv"(%x, %w, %b) <{conv_attrs = {kernel_shape = array<i64: 1, 1>}, activation = "LeakyRelu", activation_params = [2.000000e-01 : f32]}> : {{.*}} loc(fused["conv", "conv", "bn", "leaky"])
// STD-LABEL: name = "nn_conv_leaky_relu"
// STD: "onnx.LeakyRelu"(%{{.*}}) <{alpha = 2.000000e-01 : f32}>

// -----

// Conv → x·Sigmoid(x) (SiLU, EfficientNet), Mul operands in either order.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "conv_swish", input_names = ["x"], output_names = ["r"], output_types = [!onnx.tensor<[batch, 2, 4, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 4, 4], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 2, 1, 1] = [1.0, -2.0, 3.0, 0.5]>}> : () -> !onnx.tensor<[2, 2, 1, 1], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2] = [0.25, -0.5]>}> : () -> !onnx.tensor<[2], f32>
      %y = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("conv")
      %s = "onnx.Sigmoid"(%y) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("sigmoid")
      %r = "onnx.Mul"(%s, %y) : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("mul")
      "onnx.return"(%r) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "conv_swish"
// CHECK: %[[R:.*]] = "nn.conv"(%x, %w, %b) <{conv_attrs = {kernel_shape = array<i64: 1, 1>}, activation = "Swish"}> : {{.*}} loc(fused["conv", "conv", "sigmoid", "mul"])
// CHECK-NOT: "onnx.Sigmoid"
// CHECK: "onnx.return"(%[[R]])
// STD-LABEL: name = "conv_swish"
// STD: "onnx.Sigmoid"

// -----

// _nofuse: a conv also returned, a Clip bound computed at run time, x·Sigmoid(another value), an
// nn.conv that already has an activation.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "conv_activation_nofuse", input_names = ["x", "lo"], output_names = ["r", "y", "c", "m", "l"], output_types = [!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 4, 4], f32>, %lo: !onnx.tensor<[], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 2, 1, 1] = [1.0, -2.0, 3.0, 0.5]>}> : () -> !onnx.tensor<[2, 2, 1, 1], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2] = [0.25, -0.5]>}> : () -> !onnx.tensor<[2], f32>
      %y = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("conv")
      %r = "onnx.Relu"(%y) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("relu")
      %y2 = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("conv_clip")
      %none = "onnx.novalue"() : () -> !onnx.none
      %c = "onnx.Clip"(%y2, %lo, %none) : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("clip_computed_min")
      %y3 = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 1, 1>}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("conv_mul")
      %s = "onnx.Sigmoid"(%x) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("sigmoid_of_x")
      %m = "onnx.Mul"(%y3, %s) : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("not_swish")
      %y4 = "nn.conv"(%x, %w, %b) <{conv_attrs = {kernel_shape = array<i64: 1, 1>}, activation = "Relu"}> : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[2, 2, 1, 1], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("conv_relu")
      %l = "onnx.Tanh"(%y4) : (!onnx.tensor<[batch, 2, 4, 4], f32>) -> !onnx.tensor<[batch, 2, 4, 4], f32> loc("tanh_after_activation")
      "onnx.return"(%r, %y, %c, %m, %l) : (!onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>, !onnx.tensor<[batch, 2, 4, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "conv_activation_nofuse"
// CHECK-NOT: activation = "Relu"
// CHECK: "onnx.Relu"(%y)
// CHECK: "onnx.Clip"
// CHECK: "onnx.Mul"
// CHECK: "nn.conv"(%x, %w, %b) <{conv_attrs = {kernel_shape = array<i64: 1, 1>}, activation = "Relu"}> :
// CHECK: "onnx.Tanh"
// STD-LABEL: name = "conv_activation_nofuse"
