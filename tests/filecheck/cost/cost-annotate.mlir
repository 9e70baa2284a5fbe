// RUN: xdsl-opt %s -p 'cost-annotate{execution=eager dims="batch=2,sequence=8"}' --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p 'cost-annotate{execution=fused dims="batch=2,sequence=8"}' --split-input-file | filecheck %s --check-prefix=FUSED
// RUN: xdsl-opt %s -p 'cost-annotate{target=orin-agx-50w execution=eager dims="batch=2,sequence=8"}' --split-input-file | filecheck %s --check-prefix=TARGET
// A second run on cost IR only re-estimates: with the same target it changes nothing.
// RUN: xdsl-opt %s -p 'cost-annotate{target=orin-agx-50w execution=eager dims="batch=2,sequence=8"},cost-annotate{target=orin-agx-50w}' --split-input-file | filecheck %s --check-prefix=TARGET

// Linear layer + head split + ReLU. Eager (PyTorch): addmm is one kernel (MatMul + constant bias
// Add), reshape/transpose are views, ReLU one kernel: 2 kernels. Fused: one kernel per node: 4.
// MatMul x[2,8,16]·w[16,32]: 8192 MACs; + 512 bias adds. Bytes: x 1024 + w 2048 + b 128 read, y 2048 written.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "cost_linear", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 8, 16], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [16, 32] = elided>}> : () -> !onnx.tensor<[16, 32], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [32] = elided>}> : () -> !onnx.tensor<[32], f32>
      %shape = "onnx.Constant"() <{value = #onnx.dense<i64 [4] = [2, 8, 4, 8]>}> : () -> !onnx.tensor<[4], i64>
      %m = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[2, 8, 16], f32>, !onnx.tensor<[16, 32], f32>) -> !onnx.any
      %a = "onnx.Add"(%m, %b) : (!onnx.any, !onnx.tensor<[32], f32>) -> !onnx.any
      %r = "onnx.Reshape"(%a, %shape) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[4], i64>) -> !onnx.any
      %t = "onnx.Transpose"(%r) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.any) -> !onnx.any
      %y = "onnx.Relu"(%t) : (!onnx.any) -> !onnx.any
      "onnx.return"(%y) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "cost_linear"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 8, 16], f32>):
// CHECK-NEXT: %[[L:.*]] = "cost.kernel"(%[[X]]) <{op = "MatMul+Add", op_class = "matmul", module = "", flops = 16896 : i64, macs = 8192 : i64, bytes_read = 3200 : i64, bytes_written = 2048 : i64, weight_bytes = 2176 : i64
// CHECK-SAME: -> !onnx.tensor<[2, 8, 32], f32>
// CHECK-NEXT: %[[R:.*]] = "cost.kernel"(%[[L]]) <{op = "Relu", op_class = "elementwise", {{.*}} bytes_read = 2048 : i64, bytes_written = 2048 : i64
// CHECK-NEXT: "cost.yield"(%[[R]])
// FUSED-LABEL: name = "cost_linear"
// FUSED: "cost.kernel"({{.*}}) <{op = "MatMul", op_class = "matmul"
// FUSED-NEXT: "cost.kernel"({{.*}}) <{op = "Add", op_class = "elementwise"
// FUSED-NEXT: "cost.kernel"({{.*}}) <{op = "Transpose", op_class = "data_movement"
// FUSED-NEXT: "cost.kernel"({{.*}}) <{op = "Relu", op_class = "elementwise"
// FUSED-NEXT: "cost.yield"
// TARGET-LABEL: name = "cost_linear", target = "orin-agx-50w", execution = "eager"
// TARGET-SAME: total_ms = 1.840{{[0-9]*}}e-01 : f64
// TARGET: "cost.kernel"{{.*}} precision = "fp32", bound = "overhead", {{.*}} overhead_ms = 9.200000e-02 : f64
// TARGET: "cost.kernel"{{.*}} bound = "overhead"

// -----

// cost_linear_nofuse: the bias is a graph input, not a constant: no addmm, two kernels even in eager.
// Shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape) runs on the host: no kernel.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "cost_linear_nofuse", input_names = ["x", "b"], output_names = ["y"], output_types = [!onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 16], f32>, %b: !onnx.tensor<[32], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [16, 32] = elided>}> : () -> !onnx.tensor<[16, 32], f32>
      %i0 = "onnx.Constant"() <{value = #onnx.dense<i64 [] = [0]>}> : () -> !onnx.tensor<[], i64>
      %ax = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %rest = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %m = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[16, 32], f32>) -> !onnx.any
      %a = "onnx.Add"(%m, %b) : (!onnx.any, !onnx.tensor<[32], f32>) -> !onnx.any
      %s = "onnx.Shape"(%a) <{start = 0 : i64}> : (!onnx.any) -> !onnx.any
      %g = "onnx.Gather"(%s, %i0) <{axis = 0 : i64}> : (!onnx.any, !onnx.tensor<[], i64>) -> !onnx.any
      %u = "onnx.Unsqueeze"(%g, %ax) : (!onnx.any, !onnx.tensor<[1], i64>) -> !onnx.any
      %c = "onnx.Concat"(%u, %rest) <{axis = 0 : i64}> : (!onnx.any, !onnx.tensor<[1], i64>) -> !onnx.any
      %y = "onnx.Reshape"(%a, %c) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.any) -> !onnx.any
      "onnx.return"(%y) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "cost_linear_nofuse"
// CHECK-SAME: dims = {batch = 2 : i64, sequence = 8 : i64}
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, sequence, 16], f32>, %[[B:.*]]: !onnx.tensor<[32], f32>):
// CHECK-NEXT: %[[M:.*]] = "cost.kernel"(%[[X]]) <{op = "MatMul", op_class = "matmul", module = "", flops = 16384 : i64, macs = 8192 : i64
// CHECK-SAME: -> !onnx.tensor<[batch, sequence, 32], f32>
// CHECK-NEXT: %[[A:.*]] = "cost.kernel"(%[[M]], %[[B]]) <{op = "Add", op_class = "elementwise", module = "", flops = 512 : i64
// CHECK-NOT: "cost.kernel"
// CHECK: "cost.yield"(%[[A]])
// FUSED-LABEL: name = "cost_linear_nofuse"
// FUSED: "cost.kernel"({{.*}}) <{op = "MatMul"
// FUSED-NEXT: "cost.kernel"({{.*}}) <{op = "Add"
// FUSED-NEXT: "cost.yield"
// TARGET-LABEL: name = "cost_linear_nofuse"
// TARGET-COUNT-2: bound = "overhead"
