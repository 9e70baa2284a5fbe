// RUN: xdsl-opt %s -p nn-fuse-linear --split-input-file --print-debuginfo | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p nn-fuse-linear,nn-fuse-linear --split-input-file --print-debuginfo | filecheck %s
// Lowering: nn.linear is MatMul + Add on every target, with the anchor's provenance.
// RUN: xdsl-opt %s -p 'nn-fuse-linear{target=ort},nn-lower{target=ort}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=LOW

// 2-D input: MatMul + Add(b, ·) → Gemm(x, W, b), named after the MatMul, defaults α = β = 1, no transposes.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "linear_gemm", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[rows, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[rows, 2], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]>}> : () -> !onnx.tensor<[2, 3], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [3] = [0.5, -1.0, 2.0]>}> : () -> !onnx.tensor<[3], f32>
      %m = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[rows, 2], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[rows, 3], f32> loc("matmul")
      %y = "onnx.Add"(%b, %m) : (!onnx.tensor<[3], f32>, !onnx.tensor<[rows, 3], f32>) -> !onnx.tensor<[rows, 3], f32> loc("add")
      "onnx.return"(%y) : (!onnx.tensor<[rows, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "linear_gemm"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[rows, 2], f32>{{.*}}):
// CHECK: %[[Y:.*]] = "onnx.Gemm"(%[[X]], %w, %b) : (!onnx.tensor<[rows, 2], f32>, !onnx.tensor<[2, 3], f32>, !onnx.tensor<[3], f32>) -> !onnx.tensor<[rows, 3], f32> loc(fused["matmul", "matmul", "add"])
// CHECK-NOT: "onnx.MatMul"
// CHECK: "onnx.return"(%[[Y]])
// LOW-LABEL: name = "linear_gemm"
// LOW: "onnx.Gemm"

// -----

// Rank 3 (dynamic batch and sequence): nn.linear, the [1, 1, N] bias read as [N] (same bytes, new name).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "linear_3d", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[batch, sequence, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 2], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]>}> : () -> !onnx.tensor<[2, 3], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [1, 1, 3] = [0.5, -1.0, 2.0]>}> : () -> !onnx.tensor<[1, 1, 3], f32>
      %m = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[batch, sequence, 3], f32> loc("matmul")
      %y = "onnx.Add"(%m, %b) : (!onnx.tensor<[batch, sequence, 3], f32>, !onnx.tensor<[1, 1, 3], f32>) -> !onnx.tensor<[batch, sequence, 3], f32> loc("add")
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "linear_3d"
// CHECK: %[[B:.*]] = "onnx.initializer"() <{name = "b_vector", value = #onnx.dense<f32 [3] = [0.5, -1.0, 2.0]>}>
// CHECK-NOT: name = "b",
// CHECK: %[[Y:.*]] = "nn.linear"(%x, %w, %[[B]]) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 3], f32>, !onnx.tensor<[3], f32>) -> !onnx.tensor<[batch, sequence, 3], f32> loc(fused["matmul", "matmul", "add"])
// CHECK: "onnx.return"(%[[Y]])
// LOW-LABEL: name = "linear_3d"
// LOW: %[[M:.*]] = "onnx.MatMul"(%x, %w) {{.*}} loc(fused["matmul", "matmul", "add"])
// LOW: %[[Y:.*]] = "onnx.Add"(%[[M]], %{{.*}}) {{.*}} loc(fused["matmul/Add_1", "matmul", "add"])
// LOW: "onnx.return"(%[[Y]])

// -----

// _nofuse: a per-row bias [2, 3], a MatMul read twice, a bias and a weight that are graph inputs.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "linear_nofuse", input_names = ["x", "u", "v"], output_names = ["y", "z", "m2", "t", "s"], output_types = [!onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 2, 2], f32>, %u: !onnx.tensor<[3], f32>, %v: !onnx.tensor<[2, 3], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]>}> : () -> !onnx.tensor<[2, 3], f32>
      %rowbias = "onnx.initializer"() <{name = "rowbias", value = #onnx.dense<f32 [2, 3] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]>}> : () -> !onnx.tensor<[2, 3], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [3] = [0.5, -1.0, 2.0]>}> : () -> !onnx.tensor<[3], f32>
      %m = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[batch, 2, 2], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("matmul_row_bias")
      %y = "onnx.Add"(%m, %rowbias) : (!onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("add_row_bias")
      %m2 = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[batch, 2, 2], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("matmul_read_twice")
      %z = "onnx.Add"(%m2, %b) : (!onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("add_read_twice")
      %m3 = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[batch, 2, 2], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("matmul_input_bias")
      %t = "onnx.Add"(%m3, %u) : (!onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("add_input_bias")
      %m4 = "onnx.MatMul"(%x, %v) : (!onnx.tensor<[batch, 2, 2], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("matmul_input_weight")
      %s = "onnx.Add"(%m4, %b) : (!onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[3], f32>) -> !onnx.tensor<[batch, 2, 3], f32> loc("add_input_weight")
      "onnx.return"(%y, %z, %m2, %t, %s) : (!onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>, !onnx.tensor<[batch, 2, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "linear_nofuse"
// CHECK-NOT: "nn.linear"
// CHECK-NOT: "onnx.Gemm"
// CHECK: "onnx.Add"(%{{.*}}, %rowbias)
// CHECK: "onnx.Add"(%m2, %b)
// CHECK: "onnx.Add"(%m3, %u)
// CHECK: "onnx.Add"(%m4, %b)
// LOW-LABEL: name = "linear_nofuse"
