// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s
//
// One case per split: IR that an nn op's verifier (onnxforge/dialects/nn.py) rejects, with its
// message. Each case checks the split separator (written `// {{-}}----` so that the input
// splitter does not cut this file there) and then, on the next line, the exact message, so a
// case that verifies or fails with another message does not match a later case's message.

// nn.linear: a 1-D input has no rows.
"builtin.module"() ({
  "onnx.graph"() <{name = "linear_input_rank", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[4], f32>, %w: !onnx.tensor<[4, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.linear"(%x, %w, %none) : (!onnx.tensor<[4], f32>, !onnx.tensor<[4, 8], f32>, !onnx.none) -> !onnx.tensor<[8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}nn.linear: the input must have rank ≥ 2, not 1

// -----

// nn.linear: the weight is a [K, N] matrix.
"builtin.module"() ({
  "onnx.graph"() <{name = "linear_weight_rank", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>, %w: !onnx.tensor<[1, 4, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.linear"(%x, %w, %none) : (!onnx.tensor<[2, 4], f32>, !onnx.tensor<[1, 4, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.linear: the weight must be 2-D [K, N], not rank 3

// -----

// nn.linear: the bias is a vector.
"builtin.module"() ({
  "onnx.graph"() <{name = "linear_bias_rank", input_names = ["x", "w", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>, %w: !onnx.tensor<[4, 8], f32>, %b: !onnx.tensor<[1, 8], f32>):
    %y = "nn.linear"(%x, %w, %b) : (!onnx.tensor<[2, 4], f32>, !onnx.tensor<[4, 8], f32>, !onnx.tensor<[1, 8], f32>) -> !onnx.tensor<[2, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.linear: the bias must be 1-D [N] or absent

// -----

// nn.linear: input, weight, bias and result share one element type (here the result differs).
"builtin.module"() ({
  "onnx.graph"() <{name = "linear_mixed_elems", input_names = ["x", "w", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>, %w: !onnx.tensor<[4, 8], f32>, %b: !onnx.tensor<[8], f32>):
    %y = "nn.linear"(%x, %w, %b) : (!onnx.tensor<[2, 4], f32>, !onnx.tensor<[4, 8], f32>, !onnx.tensor<[8], f32>) -> !onnx.tensor<[2, 8], f16>
    "onnx.return"(%y) : (!onnx.tensor<[2, 8], f16>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.linear: operands and result must share one element type

// -----

// nn.linear: integer tensors are rejected.
"builtin.module"() ({
  "onnx.graph"() <{name = "linear_int", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], i32>, %w: !onnx.tensor<[4, 8], i32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.linear"(%x, %w, %none) : (!onnx.tensor<[2, 4], i32>, !onnx.tensor<[4, 8], i32>, !onnx.none) -> !onnx.tensor<[2, 8], i32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 8], i32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.linear: operands must be float tensors

// -----

// nn.layer_norm: axis 3 of a rank-3 input.
"builtin.module"() ({
  "onnx.graph"() <{name = "layer_norm_axis", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.layer_norm"(%x, %g, %none) <{axis = 3 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.layer_norm: axis 3 is outside the input's rank 3

// -----

// nn.layer_norm: a negative epsilon.
"builtin.module"() ({
  "onnx.graph"() <{name = "layer_norm_epsilon", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.layer_norm"(%x, %g, %none) <{axis = -1 : i64, epsilon = -1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.layer_norm: epsilon must be finite and not negative, not -1e-05

// -----

// nn.layer_norm: the scale operand cannot be absent.
"builtin.module"() ({
  "onnx.graph"() <{name = "layer_norm_scale", input_names = ["x", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %b: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.layer_norm"(%x, %none, %b) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.none, !onnx.tensor<[4], f32>) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.layer_norm: the scale is required (a γ of ones when the graph had none)

// -----

// nn.layer_norm: an f16 bias with f32 input and scale.
"builtin.module"() ({
  "onnx.graph"() <{name = "layer_norm_mixed_elems", input_names = ["x", "g", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>, %b: !onnx.tensor<[4], f16>):
    %y = "nn.layer_norm"(%x, %g, %b) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f16>) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.layer_norm: operands and result must share one element type

// -----

// nn.layer_norm: integer tensors are rejected.
"builtin.module"() ({
  "onnx.graph"() <{name = "layer_norm_int", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], i64>, %g: !onnx.tensor<[4], i64>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.layer_norm"(%x, %g, %none) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], i64>, !onnx.tensor<[4], i64>, !onnx.none) -> !onnx.tensor<[2, 3, 4], i64>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], i64>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.layer_norm: operands must be float tensors

// -----

// nn.rms_norm: axis -4 of a rank-3 input.
"builtin.module"() ({
  "onnx.graph"() <{name = "rms_norm_axis", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %y = "nn.rms_norm"(%x, %g) <{axis = -4 : i64, epsilon = 1.000000e-06 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rms_norm: axis -4 is outside the input's rank 3

// -----

// nn.rms_norm: a negative epsilon.
"builtin.module"() ({
  "onnx.graph"() <{name = "rms_norm_epsilon", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %y = "nn.rms_norm"(%x, %g) <{axis = -1 : i64, epsilon = -1.000000e+00 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rms_norm: epsilon must be finite and not negative, not -1

// -----

// nn.rms_norm: a bf16 scale with an f32 input.
"builtin.module"() ({
  "onnx.graph"() <{name = "rms_norm_mixed_elems", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], bf16>):
    %y = "nn.rms_norm"(%x, %g) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], bf16>) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rms_norm: operands and result must share one element type

// -----

// nn.rms_norm: integer tensors are rejected.
"builtin.module"() ({
  "onnx.graph"() <{name = "rms_norm_int", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], i8>, %g: !onnx.tensor<[4], i8>):
    %y = "nn.rms_norm"(%x, %g) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : (!onnx.tensor<[2, 3, 4], i8>, !onnx.tensor<[4], i8>) -> !onnx.tensor<[2, 3, 4], i8>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], i8>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rms_norm: operands must be float tensors

// -----

// nn.gelu: approximate is "none" or "tanh".
"builtin.module"() ({
  "onnx.graph"() <{name = "gelu_approximate", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.gelu"(%x, %none) <{approximate = "erf"}> : (!onnx.tensor<[2, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.gelu: approximate must be one of none, tanh, not 'erf'

// -----

// nn.gelu: the bias is a vector.
"builtin.module"() ({
  "onnx.graph"() <{name = "gelu_bias_rank", input_names = ["x", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>, %b: !onnx.tensor<[2, 4], f32>):
    %y = "nn.gelu"(%x, %b) <{approximate = "none"}> : (!onnx.tensor<[2, 4], f32>, !onnx.tensor<[2, 4], f32>) -> !onnx.tensor<[2, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.gelu: the bias must be 1-D or absent

// -----

// nn.gelu: an f64 result for an f32 input.
"builtin.module"() ({
  "onnx.graph"() <{name = "gelu_mixed_elems", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.gelu"(%x, %none) <{approximate = "tanh"}> : (!onnx.tensor<[2, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 4], f64>
    "onnx.return"(%y) : (!onnx.tensor<[2, 4], f64>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.gelu: operands and result must share one element type

// -----

// nn.gelu: integer tensors are rejected.
"builtin.module"() ({
  "onnx.graph"() <{name = "gelu_int", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], i32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.gelu"(%x, %none) <{approximate = "none"}> : (!onnx.tensor<[2, 4], i32>, !onnx.none) -> !onnx.tensor<[2, 4], i32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 4], i32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.gelu: operands must be float tensors

// -----

// nn.skip_layer_norm: a negative epsilon.
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_layer_norm_epsilon", input_names = ["x", "s", "g"], output_names = ["y", "sum"], output_types = [!onnx.any, !onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %none, %none) <{epsilon = -1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none, !onnx.none) -> (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>)
    "onnx.return"(%y, %sum) : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.skip_layer_norm: epsilon must be finite and not negative, not -1e-05

// -----

// nn.skip_layer_norm: a 2-D scale.
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_layer_norm_scale_rank", input_names = ["x", "s", "g"], output_names = ["y", "sum"], output_types = [!onnx.any, !onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[3, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %none, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[3, 4], f32>, !onnx.none, !onnx.none) -> (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>)
    "onnx.return"(%y, %sum) : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.skip_layer_norm: scale must be 1-D or absent

// -----

// nn.skip_layer_norm: a 2-D bias.
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_layer_norm_bias_rank", input_names = ["x", "s", "g", "b"], output_names = ["y", "sum"], output_types = [!onnx.any, !onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>, %b: !onnx.tensor<[1, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %b, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[1, 4], f32>, !onnx.none) -> (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>)
    "onnx.return"(%y, %sum) : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.skip_layer_norm: bias must be 1-D or absent

// -----

// nn.skip_layer_norm: a 0-D skip_bias.
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_layer_norm_skip_bias_rank", input_names = ["x", "s", "g", "sb"], output_names = ["y", "sum"], output_types = [!onnx.any, !onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>, %sb: !onnx.tensor<[], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %none, %sb) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none, !onnx.tensor<[], f32>) -> (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>)
    "onnx.return"(%y, %sum) : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.skip_layer_norm: skip_bias must be 1-D or absent

// -----

// nn.skip_layer_norm: an f16 skip with f32 input.
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_layer_norm_mixed_elems", input_names = ["x", "s", "g"], output_names = ["y", "sum"], output_types = [!onnx.any, !onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2, 3, 4], f16>, %g: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %none, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f16>, !onnx.tensor<[4], f32>, !onnx.none, !onnx.none) -> (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>)
    "onnx.return"(%y, %sum) : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.skip_layer_norm: operands and result must share one element type

// -----

// nn.skip_layer_norm: integer tensors are rejected.
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_layer_norm_int", input_names = ["x", "s", "g"], output_names = ["y", "sum"], output_types = [!onnx.any, !onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], i32>, %s: !onnx.tensor<[2, 3, 4], i32>, %g: !onnx.tensor<[4], i32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %none, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], i32>, !onnx.tensor<[2, 3, 4], i32>, !onnx.tensor<[4], i32>, !onnx.none, !onnx.none) -> (!onnx.tensor<[2, 3, 4], i32>, !onnx.tensor<[2, 3, 4], i32>)
    "onnx.return"(%y, %sum) : (!onnx.tensor<[2, 3, 4], i32>, !onnx.tensor<[2, 3, 4], i32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.skip_layer_norm: operands must be float tensors

// -----

// nn.rotary_embedding: a 2-D input.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_rank", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[5, 16], f32>, %cos: !onnx.tensor<[5, 4], f32>, %sin: !onnx.tensor<[5, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[5, 16], f32>, !onnx.tensor<[5, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[5, 16], f32>
    "onnx.return"(%y) : (!onnx.tensor<[5, 16], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: the input must be [B, S, H·D] or [B, H, S, D], not rank 2

// -----

// nn.rotary_embedding: a negative num_heads.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_num_heads", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 2, 5, 8], f32>, %cos: !onnx.tensor<[5, 4], f32>, %sin: !onnx.tensor<[5, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = -1 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 8], f32>, !onnx.tensor<[5, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: num_heads and rotary_dim must not be negative

// -----

// nn.rotary_embedding: a negative rotary_dim.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_dim_negative", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 2, 5, 8], f32>, %cos: !onnx.tensor<[5, 4], f32>, %sin: !onnx.tensor<[5, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = -8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 8], f32>, !onnx.tensor<[5, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: num_heads and rotary_dim must not be negative

// -----

// nn.rotary_embedding: an odd rotary_dim.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_dim_odd", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 2, 5, 8], f32>, %cos: !onnx.tensor<[5, 4], f32>, %sin: !onnx.tensor<[5, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = 7 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 8], f32>, !onnx.tensor<[5, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: rotary_dim must be even (dims rotate in pairs)

// -----

// nn.rotary_embedding: interleaved is a flag.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_interleaved", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 2, 5, 8], f32>, %cos: !onnx.tensor<[5, 4], f32>, %sin: !onnx.tensor<[5, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = 8 : i64, interleaved = 2 : i64}> : (!onnx.tensor<[2, 2, 5, 8], f32>, !onnx.tensor<[5, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: interleaved must be 0 or 1

// -----

// nn.rotary_embedding: a packed 3-D input without num_heads.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_3d_num_heads", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 16], f32>, %cos: !onnx.tensor<[5, 4], f32>, %sin: !onnx.tensor<[5, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 0 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 5, 16], f32>, !onnx.tensor<[5, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 16], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 16], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: a 3-D input needs num_heads

// -----

// nn.rotary_embedding: f16 cos/sin caches with an f32 input.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_mixed_elems", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 2, 5, 8], f32>, %cos: !onnx.tensor<[5, 4], f16>, %sin: !onnx.tensor<[5, 4], f16>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 8], f32>, !onnx.tensor<[5, 4], f16>, !onnx.tensor<[5, 4], f16>, !onnx.none) -> !onnx.tensor<[2, 2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: operands and result must share one element type

// -----

// nn.rotary_embedding: integer tensors are rejected.
"builtin.module"() ({
  "onnx.graph"() <{name = "rotary_int", input_names = ["q", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 2, 5, 8], i64>, %cos: !onnx.tensor<[5, 4], i64>, %sin: !onnx.tensor<[5, 4], i64>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 8], i64>, !onnx.tensor<[5, 4], i64>, !onnx.tensor<[5, 4], i64>, !onnx.none) -> !onnx.tensor<[2, 2, 5, 8], i64>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2, 5, 8], i64>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.rotary_embedding: operands must be float tensors

// -----

// nn.attention: q_num_heads 0.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_q_heads", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 0 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: q_num_heads and kv_num_heads must be positive

// -----

// nn.attention: a past without presents.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_past_only", input_names = ["q", "k", "v", "pk", "pv"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %pk: !onnx.tensor<[2, 2, 3, 4], f32>, %pv: !onnx.tensor<[2, 2, 3, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none, %pk, %pv) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none, !onnx.tensor<[2, 2, 3, 4], f32>, !onnx.tensor<[2, 2, 3, 4], f32>) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: past is (past_key, past_value) with results present_key, present_value, or neither

// -----

// nn.attention: a KV cache with is_causal (its alignment differs between the lowerings).
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_past_causal", input_names = ["q", "k", "v", "pk", "pv"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %pk: !onnx.tensor<[2, 2, 3, 4], f32>, %pv: !onnx.tensor<[2, 2, 3, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %k2, %v2 = "nn.attention"(%q, %k, %v, %none, %pk, %pv) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 1 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none, !onnx.tensor<[2, 2, 3, 4], f32>, !onnx.tensor<[2, 2, 3, 4], f32>) -> (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 2, 8, 4], f32>, !onnx.tensor<[2, 2, 8, 4], f32>)
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: with a KV cache the mask is explicit (is_causal = 0)

// -----

// nn.attention: kv_num_heads 0.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_kv_heads", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 2 : i64, kv_num_heads = 0 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: q_num_heads and kv_num_heads must be positive

// -----

// nn.attention: GQA needs q_num_heads to be a multiple of kv_num_heads.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_gqa", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 3 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: q_num_heads 3 must be a multiple of kv_num_heads 2

// -----

// nn.attention: is_causal is a flag.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_causal", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = -1 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: is_causal must be 0 or 1

// -----

// nn.attention: a key without a value.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_key_only", input_names = ["q", "k"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %none, %none) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: key and value are both present or both absent (packed)

// -----

// nn.attention: a 4-D (heads split) query.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_query_rank", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 2, 5, 4], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: query must be 3-D [B, S, heads·D]

// -----

// nn.attention: a 2-D key.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_key_rank", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: key must be 3-D [B, T, heads·D] or 4-D [B, heads, T, D]

// -----

// nn.attention: a 4-D value with a 3-D key (both split or neither).
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_value_rank", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 2, 5, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 2, 5, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: key and value must have one rank

// -----

// nn.attention: an f16 value with f32 query and key.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_mixed_elems", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f16>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f16>, !onnx.none) -> !onnx.tensor<[2, 5, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: operands and result must share one element type

// -----

// nn.attention: integer tensors are rejected.
"builtin.module"() ({
  "onnx.graph"() <{name = "attention_int", input_names = ["q", "k", "v"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%q: !onnx.tensor<[2, 5, 8], i32>, %k: !onnx.tensor<[2, 5, 8], i32>, %v: !onnx.tensor<[2, 5, 8], i32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.attention"(%q, %k, %v, %none) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[2, 5, 8], i32>, !onnx.tensor<[2, 5, 8], i32>, !onnx.tensor<[2, 5, 8], i32>, !onnx.none) -> !onnx.tensor<[2, 5, 8], i32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], i32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.attention: operands must be float tensors

// -----

// nn.conv: an activation outside the supported list.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_activation", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[1, 2, 8, 8], f32>, %w: !onnx.tensor<[2, 2, 3, 3], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.conv"(%x, %w, %none) <{conv_attrs = {kernel_shape = array<i64: 3, 3>}, activation = "Gelu"}> : (!onnx.tensor<[1, 2, 8, 8], f32>, !onnx.tensor<[2, 2, 3, 3], f32>, !onnx.none) -> !onnx.tensor<[1, 2, 6, 6], f32>
    "onnx.return"(%y) : (!onnx.tensor<[1, 2, 6, 6], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.conv: unknown activation 'Gelu'

// -----

// nn.conv: a 2-D input has no spatial dims.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_input_rank", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 8], f32>, %w: !onnx.tensor<[2, 2, 3, 3], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.conv"(%x, %w, %none) <{conv_attrs = {kernel_shape = array<i64: 3, 3>}, activation = ""}> : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 2, 3, 3], f32>, !onnx.none) -> !onnx.tensor<[2, 6], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 6], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.conv: the input must be [N, C, spatial…], not rank 2

// -----

// nn.conv: a 3-D weight for a 4-D input.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_weight_rank", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[1, 2, 8, 8], f32>, %w: !onnx.tensor<[2, 2, 3], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.conv"(%x, %w, %none) <{conv_attrs = {kernel_shape = array<i64: 3, 3>}, activation = "Relu"}> : (!onnx.tensor<[1, 2, 8, 8], f32>, !onnx.tensor<[2, 2, 3], f32>, !onnx.none) -> !onnx.tensor<[1, 2, 6, 6], f32>
    "onnx.return"(%y) : (!onnx.tensor<[1, 2, 6, 6], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.conv: the weight must have the input's rank

// -----

// nn.conv: a 2-D bias.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_bias_rank", input_names = ["x", "w", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[1, 2, 8, 8], f32>, %w: !onnx.tensor<[2, 2, 3, 3], f32>, %b: !onnx.tensor<[2, 1], f32>):
    %y = "nn.conv"(%x, %w, %b) <{conv_attrs = {kernel_shape = array<i64: 3, 3>}, activation = ""}> : (!onnx.tensor<[1, 2, 8, 8], f32>, !onnx.tensor<[2, 2, 3, 3], f32>, !onnx.tensor<[2, 1], f32>) -> !onnx.tensor<[1, 2, 6, 6], f32>
    "onnx.return"(%y) : (!onnx.tensor<[1, 2, 6, 6], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.conv: the bias must be 1-D or absent

// -----

// The op definitions (IRDL) themselves: a required property is missing (nn.rms_norm without epsilon).
"builtin.module"() ({
  "onnx.graph"() <{name = "rms_norm_no_epsilon", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %y = "nn.rms_norm"(%x, %g) <{axis = -1 : i64}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'epsilon' expected in operation 'nn.rms_norm'

// -----

// IRDL: a property of the wrong kind (a float axis on nn.layer_norm).
"builtin.module"() ({
  "onnx.graph"() <{name = "layer_norm_float_axis", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.layer_norm"(%x, %g, %none) <{axis = -1.000000e+00 : f32, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}-1.000000e+00 : f32 should be of base attribute integer

// -----

// IRDL: a non-string approximate on nn.gelu.
"builtin.module"() ({
  "onnx.graph"() <{name = "gelu_int_approximate", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.gelu"(%x, %none) <{approximate = 1 : i64}> : (!onnx.tensor<[2, 4], f32>, !onnx.none) -> !onnx.tensor<[2, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}1 : i64 should be of base attribute string

// -----

// IRDL: an absent optional operand must still be passed (onnx.novalue): nn.gelu with one operand.
"builtin.module"() ({
  "onnx.graph"() <{name = "gelu_arity", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>):
    %y = "nn.gelu"(%x) <{approximate = "none"}> : (!onnx.tensor<[2, 4], f32>) -> !onnx.tensor<[2, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Expected 2 operands, but got 1

// -----

// IRDL: nn.skip_layer_norm has two results (output and sum).
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_layer_norm_one_result", input_names = ["x", "s", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 4], f32>, %s: !onnx.tensor<[2, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.skip_layer_norm"(%x, %s, %g, %none, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 4], f32>, !onnx.tensor<[2, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none, !onnx.none) -> !onnx.tensor<[2, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Expected 2 results, but got 1

// -----

// nn.linear: the input is absent (only the bias is optional).
"builtin.module"() ({
  "onnx.graph"() <{name = "linear_no_input", input_names = ["w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%w: !onnx.tensor<[4, 8], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.linear"(%none, %w, %none) : (!onnx.none, !onnx.tensor<[4, 8], f32>, !onnx.none) -> !onnx.tensor<[2, 3, 8], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 8], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.linear: the input is required

// -----

// nn.skip_layer_norm: the scale is absent (nn.layer_norm requires one too).
"builtin.module"() ({
  "onnx.graph"() <{name = "skip_no_scale", input_names = ["a", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%a: !onnx.tensor<[2, 3, 4], f32>, %b: !onnx.tensor<[2, 3, 4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y, %s = "nn.skip_layer_norm"(%a, %b, %none, %none, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>, !onnx.none, !onnx.none, !onnx.none) -> (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2, 3, 4], f32>)
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.skip_layer_norm: the scale is required (a γ of ones when the graph had none)

// -----

// nn.layer_norm: a NaN epsilon.
"builtin.module"() ({
  "onnx.graph"() <{name = "layer_norm_nan", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %g: !onnx.tensor<[4], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.layer_norm"(%x, %g, %none) <{axis = -1 : i64, epsilon = 0x7FC00000 : f32}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none) -> !onnx.tensor<[2, 3, 4], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 3, 4], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.layer_norm: epsilon must be finite and not negative, not nan

// -----

// nn.conv: Clip takes its two bounds.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_clip_params", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[1, 2, 8, 8], f32>, %w: !onnx.tensor<[2, 2, 3, 3], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.conv"(%x, %w, %none) <{conv_attrs = {kernel_shape = array<i64: 3, 3>}, activation = "Clip", activation_params = [0.000000e+00 : f32]}> : (!onnx.tensor<[1, 2, 8, 8], f32>, !onnx.tensor<[2, 2, 3, 3], f32>, !onnx.none) -> !onnx.tensor<[1, 2, 6, 6], f32>
    "onnx.return"(%y) : (!onnx.tensor<[1, 2, 6, 6], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.conv: activation Clip takes 2 parameter(s) (min, max), not 1

// -----

// nn.conv: parameters for an activation that has none.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_relu_params", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[1, 2, 8, 8], f32>, %w: !onnx.tensor<[2, 2, 3, 3], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.conv"(%x, %w, %none) <{conv_attrs = {kernel_shape = array<i64: 3, 3>}, activation = "", activation_params = [1.000000e+00 : f32]}> : (!onnx.tensor<[1, 2, 8, 8], f32>, !onnx.tensor<[2, 2, 3, 3], f32>, !onnx.none) -> !onnx.tensor<[1, 2, 6, 6], f32>
    "onnx.return"(%y) : (!onnx.tensor<[1, 2, 6, 6], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.conv: activation none takes 0 parameter(s) (none), not 1

// -----

// nn.conv: an f16 weight for an f32 input.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_mixed", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[1, 2, 8, 8], f32>, %w: !onnx.tensor<[2, 2, 3, 3], f16>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "nn.conv"(%x, %w, %none) <{conv_attrs = {kernel_shape = array<i64: 3, 3>}, activation = ""}> : (!onnx.tensor<[1, 2, 8, 8], f32>, !onnx.tensor<[2, 2, 3, 3], f16>, !onnx.none) -> !onnx.tensor<[1, 2, 6, 6], f32>
    "onnx.return"(%y) : (!onnx.tensor<[1, 2, 6, 6], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}nn.conv: operands and result must share one element type
