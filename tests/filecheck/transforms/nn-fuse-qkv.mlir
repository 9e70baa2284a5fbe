// RUN: xdsl-opt %s -p 'nn-fuse-qkv{target=ort}' --split-input-file --print-debuginfo | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p 'nn-fuse-qkv{target=ort},nn-fuse-qkv{target=ort}' --split-input-file --print-debuginfo | filecheck %s
// Standard at opset 17 has no Attention for a packed nn.attention: the projections are fused with a Split.
// RUN: xdsl-opt %s -p nn-fuse-qkv --split-input-file --print-debuginfo | filecheck %s --check-prefix=STD
// Lowering under ort: the packed attention and its projection are one com.microsoft::Attention.
// RUN: xdsl-opt %s -p 'nn-fuse-qkv{target=ort},nn-lower{target=ort}' --split-input-file --print-debuginfo | filecheck %s --check-prefix=LOW

// q, k, v projections of x read only by one nn.attention (k without bias): the attention gets the packed
// [Q | K | V] projection as its query, key/value absent, every property and the mask unchanged.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "qkv_packed_attention", input_names = ["x", "mask"], output_names = ["y"], output_types = [!onnx.tensor<[batch, sequence, 2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 2], f32>, %mask: !onnx.tensor<[batch, 1, sequence, sequence], f32>):
      %wq = "onnx.initializer"() <{name = "wq", value = #onnx.dense<f32 [2, 2] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %wk = "onnx.initializer"() <{name = "wk", value = #onnx.dense<f32 [2, 2] = [5.0, 6.0, 7.0, 8.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %wv = "onnx.initializer"() <{name = "wv", value = #onnx.dense<f32 [2, 2] = [9.0, 10.0, 11.0, 12.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %bq = "onnx.initializer"() <{name = "bq", value = #onnx.dense<f32 [2] = [0.5, 0.5]>}> : () -> !onnx.tensor<[2], f32>
      %bv = "onnx.initializer"() <{name = "bv", value = #onnx.dense<f32 [2] = [-1.0, -1.0]>}> : () -> !onnx.tensor<[2], f32>
      %mq = "onnx.MatMul"(%x, %wq) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("q_matmul")
      %q = "onnx.Add"(%mq, %bq) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("q_add")
      %k = "onnx.MatMul"(%x, %wk) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("k_matmul")
      %mv = "onnx.MatMul"(%x, %wv) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("v_matmul")
      %v = "onnx.Add"(%bv, %mv) : (!onnx.tensor<[2], f32>, !onnx.tensor<[batch, sequence, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("v_add")
      %y = "nn.attention"(%q, %k, %v, %mask) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 0.5 : f32, is_causal = 1 : i64}> : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, 1, sequence, sequence], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc(fused["softmax", "softmax", "scores"])
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "qkv_packed_attention"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, sequence, 2], f32>{{.*}}, %[[M:.*]]: !onnx.tensor<[batch, 1, sequence, sequence], f32>{{.*}}):
// CHECK: %[[W:.*]] = "onnx.initializer"() <{name = "q_matmul_qkv_weight", value = #onnx.dense<f32 [2, 6] = [1.0, 2.0, 5.0, 6.0, 9.0, 10.0, 3.0, 4.0, 7.0, 8.0, 11.0, 12.0]>}>
// CHECK: %[[B:.*]] = "onnx.initializer"() <{name = "q_matmul_qkv_bias", value = #onnx.dense<f32 [6] = [0.5, 0.5, 0.0, 0.0, -1.0, -1.0]>}>
// CHECK-NOT: "onnx.MatMul"
// CHECK: %[[P:.*]] = "nn.linear"(%[[X]], %[[W]], %[[B]]) : ({{.*}}) -> !onnx.tensor<[batch, sequence, 6], f32> loc(fused["q_matmul", "softmax", "scores", "q_matmul", "q_add", "k_matmul", "v_matmul", "v_add"])
// CHECK: %[[Y:.*]] = "nn.attention"(%[[P]], %[[N:.*]], %[[N]], %[[M]]) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 1 : i64}> : {{.*}} loc(fused["softmax", "softmax", "scores", "q_matmul", "q_add", "k_matmul", "v_matmul", "v_add"])
// CHECK: "onnx.return"(%[[Y]])
// STD-LABEL: name = "qkv_packed_attention"
// STD: %[[P:.*]] = "nn.linear"
// STD: %[[Q:.*]], %[[K:.*]], %[[V:.*]] = "onnx.Split_v13"(%[[P]], %{{.*}}) <{axis = 2 : i64}>
// STD: "nn.attention"(%[[Q]], %[[K]], %[[V]], %mask)
// LOW-LABEL: name = "qkv_packed_attention"
// LOW: "onnx.custom"(%x, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %mask) <{domain = "com.microsoft", op_type = "Attention", attrs = {num_heads = 2 : i64, scale = 5.000000e-01 : f32, unidirectional = 1 : i64}
// LOW-NOT: "onnx.MatMul"

// -----

// Three projections of x and no attention: one nn.linear over [Wq | Wk | Wv] (no bias), then Split by widths.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "qkv_split", input_names = ["x"], output_names = ["a", "b", "c"], output_types = [!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 2], f32>):
      %wq = "onnx.initializer"() <{name = "wq", value = #onnx.dense<f32 [2, 2] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %wk = "onnx.initializer"() <{name = "wk", value = #onnx.dense<f32 [2, 2] = [5.0, 6.0, 7.0, 8.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %wv = "onnx.initializer"() <{name = "wv", value = #onnx.dense<f32 [2, 2] = [9.0, 10.0, 11.0, 12.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %a = "onnx.MatMul"(%x, %wq) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("q_matmul")
      %b = "onnx.MatMul"(%x, %wk) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("k_matmul")
      %c = "onnx.MatMul"(%x, %wv) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("v_matmul")
      "onnx.return"(%a, %b, %c) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "qkv_split"
// CHECK: %[[W:.*]] = "onnx.initializer"() <{name = "q_matmul_qkv_weight", value = #onnx.dense<f32 [2, 6] = [1.0, 2.0, 5.0, 6.0, 9.0, 10.0, 3.0, 4.0, 7.0, 8.0, 11.0, 12.0]>}>
// CHECK: %[[S:.*]] = "onnx.initializer"() <{name = "q_matmul_split", value = #onnx.dense<i64 [3] = [2, 2, 2]>}>
// CHECK: %[[P:.*]] = "nn.linear"(%x, %[[W]], %{{.*}}) : ({{.*}}, !onnx.none) -> !onnx.tensor<[batch, sequence, 6], f32> loc(fused["q_matmul", "q_matmul", "k_matmul", "v_matmul"])
// CHECK: %[[A:.*]], %[[B:.*]], %[[C:.*]] = "onnx.Split_v13"(%[[P]], %[[S]]) <{axis = 2 : i64}> {{.*}} loc(fused["q_matmul/Split", "q_matmul", "k_matmul", "v_matmul"])
// CHECK-NOT: "onnx.MatMul"
// CHECK: "onnx.return"(%[[A]], %[[B]], %[[C]])
// STD-LABEL: name = "qkv_split"
// STD: "onnx.Split_v13"
// LOW-LABEL: name = "qkv_split"
// LOW: %[[M:.*]] = "onnx.MatMul"(%x, %{{.*}})
// LOW: "onnx.Split_v13"(%[[M]]

// -----

// _nofuse: two projections (one MatMul + Split is not faster below three), a weight that is a graph
// input, a projection of another input.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "qkv_nofuse", input_names = ["x", "z", "u"], output_names = ["a", "b", "c", "d"], output_types = [!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 2], f32>, %z: !onnx.tensor<[batch, sequence, 2], f32>, %u: !onnx.tensor<[2, 2], f32>):
      %wq = "onnx.initializer"() <{name = "wq", value = #onnx.dense<f32 [2, 2] = [1.0, 2.0, 3.0, 4.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %wk = "onnx.initializer"() <{name = "wk", value = #onnx.dense<f32 [2, 2] = [5.0, 6.0, 7.0, 8.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %wv = "onnx.initializer"() <{name = "wv", value = #onnx.dense<f32 [2, 2] = [9.0, 10.0, 11.0, 12.0]>}> : () -> !onnx.tensor<[2, 2], f32>
      %a = "onnx.MatMul"(%x, %wq) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("pair_q")
      %b = "onnx.MatMul"(%x, %wk) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("pair_k")
      %c = "onnx.MatMul"(%x, %u) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("weight_is_an_input")
      %d = "onnx.MatMul"(%z, %wv) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[batch, sequence, 2], f32> loc("other_input")
      "onnx.return"(%a, %b, %c, %d) : (!onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>, !onnx.tensor<[batch, sequence, 2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "qkv_nofuse"
// CHECK-NOT: "nn.linear"
// CHECK: "onnx.MatMul"(%x, %wq)
// CHECK: "onnx.MatMul"(%x, %wk)
// CHECK: "onnx.MatMul"(%x, %u)
// CHECK: "onnx.MatMul"(%z, %wv)
// STD-LABEL: name = "qkv_nofuse"
// STD-NOT: "nn.linear"
// LOW-LABEL: name = "qkv_nofuse"
