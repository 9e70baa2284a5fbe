// RUN: xdsl-opt %s -p nn-fuse-attention --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p nn-fuse-attention,nn-fuse-attention --split-input-file | filecheck %s
// Lowering: Attention (opset 23) under --target=standard, com.microsoft ops under --target=ort.
// RUN: xdsl-opt %s -p nn-fuse-attention,nn-lower --split-input-file | filecheck %s --check-prefix=STD
// RUN: xdsl-opt %s -p 'nn-fuse-attention{target=ort},nn-lower{target=ort}' --split-input-file | filecheck %s --check-prefix=ORT
// --target=tensorrt keeps every attention decomposed, at opset 23 too (TensorRT's builder fuses it).
// RUN: xdsl-opt %s -p 'nn-fuse-attention{target=tensorrt}' --split-input-file | filecheck %s --check-prefix=TRT
// Batch and sequence are static (2, 5): with symbolic sizes that may be 0, --target=standard declines
// (onnxruntime's Attention rejects an empty batch or query; lowering/attention.py, test_nn_fuse_attention.py).

// TorchScript BERT: kᵀ = Transpose(Reshape(k), [0, 2, 3, 1]), scores·0.5 + mask (operands swapped).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "bert", input_names = ["q", "k", "v", "mask"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %mask: !onnx.tensor<[2, 1, 5, 5], f32>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%mask, %sc) : (!onnx.tensor<[2, 1, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "bert"
// CHECK: %[[Y:.*]] = "nn.attention"(%q, %k, %v, %mask) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}>
// CHECK-NOT: "onnx.Softmax"(
// CHECK: "onnx.return"(%[[Y]])
// STD-LABEL: name = "bert"
// STD: %[[MIN:.*]] = "onnx.Equal"(%mask,
// STD: %[[M:.*]] = "onnx.Where"(%[[MIN]], %{{.*}}, %mask)
// STD: %[[Y:.*]], %{{.*}}, %{{.*}}, %{{.*}} = "onnx.Attention_v23"(%q, %k, %v, %[[M]], %{{.*}}, %{{.*}}) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}>
// STD: "onnx.return"(%[[Y]])
// TRT-LABEL: name = "bert"
// TRT-NOT: "nn.attention"
// TRT: %[[P:.*]] = "onnx.Softmax"(%sm)
// TRT: "onnx.MatMul"(%[[P]], %v4)
// TRT-NOT: "nn.attention"
// ORT-LABEL: name = "bert"
// ORT: %[[Y:.*]] = "onnx.custom"(%q, %k, %v, %{{.*}}, %{{.*}}, %mask) <{domain = "com.microsoft", op_type = "MultiHeadAttention", attrs = {num_heads = 2 : i64, scale = 5.000000e-01 : f32, unidirectional = 0 : i64}
// ORT: "onnx.return"(%[[Y]])

// -----

// _nofuse: the scores are scaled by a graph input, not a constant.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "bert_nofuse", input_names = ["q", "k", "v", "mask", "c"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %mask: !onnx.tensor<[2, 1, 5, 5], f32>, %c: !onnx.tensor<[], f32>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%mask, %sc) : (!onnx.tensor<[2, 1, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "bert_nofuse"
// CHECK-NOT: "nn.attention"
// CHECK: "onnx.Softmax"(
// STD-LABEL: name = "bert_nofuse"
// STD-NOT: "onnx.Attention
// ORT-LABEL: name = "bert_nofuse"
// ORT-NOT: "onnx.custom"

// -----

// Llama: 4-D rotary on q and k (from nn-fuse-rotary-embedding), repeat_kv (2 KV heads for 4 query heads),
// kᵀ = Transpose(k4, [0, 1, 3, 2]). The rotaries move to the 3-D q and k; GQA is kv_num_heads = 2. At opset 23
// --target=ort also lowers GQA to the standard Attention (MultiHeadAttention would need the KV heads repeated).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "llama_gqa_rotary", input_names = ["q", "k", "v", "cos", "sin", "mask"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 16], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %cos: !onnx.tensor<[1, 5, 2], f32>, %sin: !onnx.tensor<[1, 5, 2], f32>, %mask: !onnx.tensor<[2, 1, 5, 5], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %qs = "onnx.initializer"() <{name = "qs", value = #onnx.dense<i64 [4] = [0, 0, 4, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ks = "onnx.initializer"() <{name = "ks", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 16]>}> : () -> !onnx.tensor<[3], i64>
      %ax2 = "onnx.initializer"() <{name = "ax2", value = #onnx.dense<i64 [1] = [2]>}> : () -> !onnx.tensor<[1], i64>
      %rep = "onnx.initializer"() <{name = "rep", value = #onnx.dense<i64 [5] = [1, 2, 2, 1, 4]>}> : () -> !onnx.tensor<[5], i64>
      %rs = "onnx.initializer"() <{name = "rs", value = #onnx.dense<i64 [4] = [0, 4, -1, 4]>}> : () -> !onnx.tensor<[4], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %q4_s = "onnx.Reshape"(%q, %qs) : (!onnx.tensor<[2, 5, 16], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 4, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 4, 4], f32>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %k4_s = "onnx.Reshape"(%k, %ks) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %k4 = "onnx.Transpose"(%k4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %v4_s = "onnx.Reshape"(%v, %ks) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %q4r = "nn.rotary_embedding"(%q4, %cos, %sin, %none) <{num_heads = 4 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 4, 5, 4], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.none) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %k4r = "nn.rotary_embedding"(%k4, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.none) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %k4r_u = "onnx.Unsqueeze"(%k4r, %ax2) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[2, 2, 1, 5, 4], f32>
      %k4r_e = "onnx.Expand"(%k4r_u, %rep) : (!onnx.tensor<[2, 2, 1, 5, 4], f32>, !onnx.tensor<[5], i64>) -> !onnx.tensor<[2, 2, 2, 5, 4], f32>
      %k4r_r = "onnx.Reshape"(%k4r_e, %rs) : (!onnx.tensor<[2, 2, 2, 5, 4], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %v4_u = "onnx.Unsqueeze"(%v4, %ax2) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[2, 2, 1, 5, 4], f32>
      %v4_e = "onnx.Expand"(%v4_u, %rep) : (!onnx.tensor<[2, 2, 1, 5, 4], f32>, !onnx.tensor<[5], i64>) -> !onnx.tensor<[2, 2, 2, 5, 4], f32>
      %v4_r = "onnx.Reshape"(%v4_e, %rs) : (!onnx.tensor<[2, 2, 2, 5, 4], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %kt = "onnx.Transpose"(%k4r_r) <{perm = array<i64: 0, 1, 3, 2>}> : (!onnx.tensor<[2, 4, 5, 4], f32>) -> !onnx.tensor<[2, 4, 4, 5], f32>
      %qk = "onnx.MatMul"(%q4r, %kt) : (!onnx.tensor<[2, 4, 5, 4], f32>, !onnx.tensor<[2, 4, 4, 5], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 4, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %mask) : (!onnx.tensor<[2, 4, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 4, 5, 5], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4_r) : (!onnx.tensor<[2, 4, 5, 5], f32>, !onnx.tensor<[2, 4, 5, 4], f32>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 4, 5, 4], f32>) -> !onnx.tensor<[2, 5, 4, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 4, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 16], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 16], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "llama_gqa_rotary"
// CHECK: %[[Q:.*]] = "nn.rotary_embedding"(%q, %cos, %sin, %none) <{num_heads = 4 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}> {{.*}} -> !onnx.tensor<[2, 5, 16], f32>
// CHECK: %[[K:.*]] = "nn.rotary_embedding"(%k, %cos, %sin, %none) <{num_heads = 2 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}> {{.*}} -> !onnx.tensor<[2, 5, 8], f32>
// CHECK: %[[Y:.*]] = "nn.attention"(%[[Q]], %[[K]], %v, %mask) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}>
// CHECK-NOT: "onnx.Expand"(
// CHECK: "onnx.return"(%[[Y]])
// STD-LABEL: name = "llama_gqa_rotary"
// STD: %[[Q:.*]] = "onnx.RotaryEmbedding"(%q,
// STD: %[[K:.*]] = "onnx.RotaryEmbedding"(%k,
// STD: "onnx.Attention_v23"(%[[Q]], %[[K]], %v, %{{.*}}) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64,
// ORT-LABEL: name = "llama_gqa_rotary"
// ORT: %[[Q:.*]] = "onnx.custom"(%q, {{.*}}op_type = "RotaryEmbedding"
// ORT: %[[K:.*]] = "onnx.custom"(%k, {{.*}}op_type = "RotaryEmbedding"
// ORT-NOT: "onnx.Expand"(
// ORT: "onnx.Attention_v23"(%[[Q]], %[[K]], %v, %{{.*}}) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64,

// -----

// _nofuse: the key's rotary reads position ids (only the shared-cache form moves to 3-D).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "llama_gqa_rotary_nofuse", input_names = ["q", "k", "v", "cos", "sin", "mask", "pos"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 16], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %cos: !onnx.tensor<[1, 5, 2], f32>, %sin: !onnx.tensor<[1, 5, 2], f32>, %mask: !onnx.tensor<[2, 1, 5, 5], f32>, %pos: !onnx.tensor<[2, 5], i64>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %qs = "onnx.initializer"() <{name = "qs", value = #onnx.dense<i64 [4] = [0, 0, 4, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ks = "onnx.initializer"() <{name = "ks", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 16]>}> : () -> !onnx.tensor<[3], i64>
      %ax2 = "onnx.initializer"() <{name = "ax2", value = #onnx.dense<i64 [1] = [2]>}> : () -> !onnx.tensor<[1], i64>
      %rep = "onnx.initializer"() <{name = "rep", value = #onnx.dense<i64 [5] = [1, 2, 2, 1, 4]>}> : () -> !onnx.tensor<[5], i64>
      %rs = "onnx.initializer"() <{name = "rs", value = #onnx.dense<i64 [4] = [0, 4, -1, 4]>}> : () -> !onnx.tensor<[4], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %q4_s = "onnx.Reshape"(%q, %qs) : (!onnx.tensor<[2, 5, 16], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 4, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 4, 4], f32>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %k4_s = "onnx.Reshape"(%k, %ks) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %k4 = "onnx.Transpose"(%k4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %v4_s = "onnx.Reshape"(%v, %ks) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %q4r = "nn.rotary_embedding"(%q4, %cos, %sin, %none) <{num_heads = 4 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 4, 5, 4], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.none) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %k4r = "nn.rotary_embedding"(%k4, %cos, %sin, %pos) <{num_heads = 2 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.tensor<[1, 5, 2], f32>, !onnx.tensor<[2, 5], i64>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %k4r_u = "onnx.Unsqueeze"(%k4r, %ax2) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[2, 2, 1, 5, 4], f32>
      %k4r_e = "onnx.Expand"(%k4r_u, %rep) : (!onnx.tensor<[2, 2, 1, 5, 4], f32>, !onnx.tensor<[5], i64>) -> !onnx.tensor<[2, 2, 2, 5, 4], f32>
      %k4r_r = "onnx.Reshape"(%k4r_e, %rs) : (!onnx.tensor<[2, 2, 2, 5, 4], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %v4_u = "onnx.Unsqueeze"(%v4, %ax2) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[2, 2, 1, 5, 4], f32>
      %v4_e = "onnx.Expand"(%v4_u, %rep) : (!onnx.tensor<[2, 2, 1, 5, 4], f32>, !onnx.tensor<[5], i64>) -> !onnx.tensor<[2, 2, 2, 5, 4], f32>
      %v4_r = "onnx.Reshape"(%v4_e, %rs) : (!onnx.tensor<[2, 2, 2, 5, 4], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %kt = "onnx.Transpose"(%k4r_r) <{perm = array<i64: 0, 1, 3, 2>}> : (!onnx.tensor<[2, 4, 5, 4], f32>) -> !onnx.tensor<[2, 4, 4, 5], f32>
      %qk = "onnx.MatMul"(%q4r, %kt) : (!onnx.tensor<[2, 4, 5, 4], f32>, !onnx.tensor<[2, 4, 4, 5], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 4, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %mask) : (!onnx.tensor<[2, 4, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 4, 5, 5], f32>) -> !onnx.tensor<[2, 4, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4_r) : (!onnx.tensor<[2, 4, 5, 5], f32>, !onnx.tensor<[2, 4, 5, 4], f32>) -> !onnx.tensor<[2, 4, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 4, 5, 4], f32>) -> !onnx.tensor<[2, 5, 4, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 4, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 16], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 16], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "llama_gqa_rotary_nofuse"
// CHECK-NOT: "nn.attention"
// CHECK: "onnx.Softmax"(
// STD-LABEL: name = "llama_gqa_rotary_nofuse"
// STD-NOT: "onnx.Attention
// ORT-LABEL: name = "llama_gqa_rotary_nofuse"
// ORT-NOT: op_type = "MultiHeadAttention"

// -----

// The dynamo exporter's SDPA: √scale on q4 and on kᵀ (flatten → Transpose → unflatten, targets computed
// from k's shape), a boolean mask through Where(keep, 0, -inf), and Where(IsNaN(p), 0, p). The mask can
// mask a row entirely (NaN in the softmax, 0 after the guard), so the guard moves to the fused output.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "sdpa_guard", input_names = ["q", "k", "v", "keep"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %keep: !onnx.tensor<[2, 1, 5, 5], bool>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %rt = "onnx.initializer"() <{name = "rt", value = #onnx.dense<f32 [] = [0.70710677]>}> : () -> !onnx.tensor<[], f32>
      %zero = "onnx.initializer"() <{name = "zero", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %ninf = "onnx.initializer"() <{name = "ninf", value = #onnx.dense<f32 [] = "0x000080ff">}> : () -> !onnx.tensor<[], f32>
      %m1 = "onnx.initializer"() <{name = "m1", value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %m2 = "onnx.initializer"() <{name = "m2", value = #onnx.dense<i64 [1] = [-2]>}> : () -> !onnx.tensor<[1], i64>
      %z1 = "onnx.initializer"() <{name = "z1", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %d = "onnx.initializer"() <{name = "d", value = #onnx.dense<i64 [1] = [4]>}> : () -> !onnx.tensor<[1], i64>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %k4_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %k4 = "onnx.Transpose"(%k4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %none = "onnx.novalue"() : () -> !onnx.none
      %kshape = "onnx.Shape"(%k4) : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[4], i64>
      %klen = "onnx.Slice"(%kshape, %m2, %m1, %none, %none) : (!onnx.tensor<[4], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none, !onnx.none) -> !onnx.tensor<[1], i64>
      %klead = "onnx.Slice"(%kshape, %z1, %m2, %none, %none) : (!onnx.tensor<[4], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none, !onnx.none) -> !onnx.tensor<[2], i64>
      %fs = "onnx.Concat"(%m1, %klen, %d) <{axis = 0 : i64}> : (!onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[3], i64>
      %kf = "onnx.Reshape"(%k4, %fs) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<["2*2", 5, 4], f32>
      %kft = "onnx.Transpose"(%kf) <{perm = array<i64: 0, 2, 1>}> : (!onnx.tensor<["2*2", 5, 4], f32>) -> !onnx.tensor<["2*2", 4, 5], f32>
      %us = "onnx.Concat"(%klead, %d, %klen) <{axis = 0 : i64}> : (!onnx.tensor<[2], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[4], i64>
      %kt0 = "onnx.Reshape"(%kft, %us) : (!onnx.tensor<["2*2", 4, 5], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %q4s = "onnx.Mul"(%q4, %rt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kts = "onnx.Mul"(%kt0, %rt) : (!onnx.tensor<[2, 2, 4, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %bias = "onnx.Where"(%keep, %zero, %ninf) : (!onnx.tensor<[2, 1, 5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 1, 5, 5], f32>
      %qk = "onnx.MatMul"(%q4s, %kts) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%qk, %bias) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %nan = "onnx.IsNaN"(%p) : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], bool>
      %pg = "onnx.Where"(%nan, %zero, %p) : (!onnx.tensor<[2, 2, 5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%pg, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "sdpa_guard"
// CHECK: %[[B:.*]] = "onnx.Where"(%keep, %zero, %ninf)
// CHECK: %[[A:.*]] = "nn.attention"(%q, %k, %v, %[[B]]) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 0.49999997 : f32, is_causal = 0 : i64}>
// CHECK: %[[N:.*]] = "onnx.IsNaN"(%[[A]])
// CHECK: %[[Y:.*]] = "onnx.Where"(%[[N]], %zero, %[[A]]) {{.*}} -> !onnx.tensor<[2, 5, 8], f32>
// CHECK-NOT: "onnx.Softmax"(
// CHECK-NOT: "onnx.Shape"(
// CHECK: "onnx.return"(%[[Y]])
// STD-LABEL: name = "sdpa_guard"
// STD: %[[B:.*]] = "onnx.Where"(%keep, %zero, %ninf)
// STD-NOT: "onnx.Max"
// STD: "onnx.Attention_v23"(%q, %k, %v, %[[B]],
// ORT-LABEL: name = "sdpa_guard"
// ORT: %[[A:.*]] = "onnx.custom"(%q, %k, %v, %{{.*}}, %{{.*}}, %{{.*}}) <{domain = "com.microsoft", op_type = "MultiHeadAttention"
// ORT: "onnx.IsNaN"(%[[A]])

// -----

// _nofuse: the probabilities are also a graph output (output_attentions).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "sdpa_nofuse", input_names = ["q", "k", "v", "keep"], output_names = ["y0", "y1"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %keep: !onnx.tensor<[2, 1, 5, 5], bool>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %rt = "onnx.initializer"() <{name = "rt", value = #onnx.dense<f32 [] = [0.70710677]>}> : () -> !onnx.tensor<[], f32>
      %zero = "onnx.initializer"() <{name = "zero", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %ninf = "onnx.initializer"() <{name = "ninf", value = #onnx.dense<f32 [] = "0x000080ff">}> : () -> !onnx.tensor<[], f32>
      %m1 = "onnx.initializer"() <{name = "m1", value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %m2 = "onnx.initializer"() <{name = "m2", value = #onnx.dense<i64 [1] = [-2]>}> : () -> !onnx.tensor<[1], i64>
      %z1 = "onnx.initializer"() <{name = "z1", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %d = "onnx.initializer"() <{name = "d", value = #onnx.dense<i64 [1] = [4]>}> : () -> !onnx.tensor<[1], i64>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %k4_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %k4 = "onnx.Transpose"(%k4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %none = "onnx.novalue"() : () -> !onnx.none
      %kshape = "onnx.Shape"(%k4) : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[4], i64>
      %klen = "onnx.Slice"(%kshape, %m2, %m1, %none, %none) : (!onnx.tensor<[4], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none, !onnx.none) -> !onnx.tensor<[1], i64>
      %klead = "onnx.Slice"(%kshape, %z1, %m2, %none, %none) : (!onnx.tensor<[4], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none, !onnx.none) -> !onnx.tensor<[2], i64>
      %fs = "onnx.Concat"(%m1, %klen, %d) <{axis = 0 : i64}> : (!onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[3], i64>
      %kf = "onnx.Reshape"(%k4, %fs) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<["2*2", 5, 4], f32>
      %kft = "onnx.Transpose"(%kf) <{perm = array<i64: 0, 2, 1>}> : (!onnx.tensor<["2*2", 5, 4], f32>) -> !onnx.tensor<["2*2", 4, 5], f32>
      %us = "onnx.Concat"(%klead, %d, %klen) <{axis = 0 : i64}> : (!onnx.tensor<[2], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[4], i64>
      %kt0 = "onnx.Reshape"(%kft, %us) : (!onnx.tensor<["2*2", 4, 5], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %q4s = "onnx.Mul"(%q4, %rt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kts = "onnx.Mul"(%kt0, %rt) : (!onnx.tensor<[2, 2, 4, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %bias = "onnx.Where"(%keep, %zero, %ninf) : (!onnx.tensor<[2, 1, 5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 1, 5, 5], f32>
      %qk = "onnx.MatMul"(%q4s, %kts) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%qk, %bias) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %nan = "onnx.IsNaN"(%p) : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], bool>
      %pg = "onnx.Where"(%nan, %zero, %p) : (!onnx.tensor<[2, 2, 5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%pg, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y, %p) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 2, 5, 5], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "sdpa_nofuse"
// CHECK-NOT: "nn.attention"
// CHECK: "onnx.Softmax"(
// STD-LABEL: name = "sdpa_nofuse"
// STD-NOT: "onnx.Attention
// ORT-LABEL: name = "sdpa_nofuse"
// ORT-NOT: "onnx.custom"

// -----

// SDPA's is_causal mask Where(Equal(Trilu(Expand(1, [S, S]), upper=0), 0), -inf, 0) over S = T: is_causal = 1.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "sdpa_causal", input_names = ["q", "k", "v", "size"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %size: !onnx.tensor<[2], i64>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %zero = "onnx.initializer"() <{name = "zero", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %ninf = "onnx.initializer"() <{name = "ninf", value = #onnx.dense<f32 [] = "0x000080ff">}> : () -> !onnx.tensor<[], f32>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ones = "onnx.Expand"(%one, %size) : (!onnx.tensor<[], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[5, 5], f32>
      %none = "onnx.novalue"() : () -> !onnx.none
      %tri = "onnx.Trilu"(%ones, %none) <{upper = 0 : i64}> : (!onnx.tensor<[5, 5], f32>, !onnx.none) -> !onnx.tensor<[5, 5], f32>
      %above = "onnx.Equal"(%tri, %zero) : (!onnx.tensor<[5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[5, 5], bool>
      %cm = "onnx.Where"(%above, %ninf, %zero) : (!onnx.tensor<[5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[5, 5], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %cm) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "sdpa_causal"
// CHECK: %[[Y:.*]] = "nn.attention"(%q, %k, %v, %{{.*}}) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 1 : i64}>{{.*}} : ({{.*}}, !onnx.none) ->
// CHECK-NOT: "onnx.Trilu"(
// CHECK: "onnx.return"(%[[Y]])
// STD-LABEL: name = "sdpa_causal"
// STD: "onnx.Attention_v23"(%q, %k, %v, %{{.*}}) <{{.*}}is_causal = 1 : i64}>
// ORT-LABEL: name = "sdpa_causal"
// ORT: op_type = "MultiHeadAttention", attrs = {num_heads = 2 : i64, scale = 5.000000e-01 : f32, unidirectional = 1 : i64}

// -----

// _nofuse twin: Trilu(upper=1) keeps the upper triangle, so the mask is no causal mask: it stays explicit.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "sdpa_causal_nofuse", input_names = ["q", "k", "v", "size"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %size: !onnx.tensor<[2], i64>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %zero = "onnx.initializer"() <{name = "zero", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %ninf = "onnx.initializer"() <{name = "ninf", value = #onnx.dense<f32 [] = "0x000080ff">}> : () -> !onnx.tensor<[], f32>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ones = "onnx.Expand"(%one, %size) : (!onnx.tensor<[], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[5, 5], f32>
      %none = "onnx.novalue"() : () -> !onnx.none
      %tri = "onnx.Trilu"(%ones, %none) <{upper = 1 : i64}> : (!onnx.tensor<[5, 5], f32>, !onnx.none) -> !onnx.tensor<[5, 5], f32>
      %above = "onnx.Equal"(%tri, %zero) : (!onnx.tensor<[5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[5, 5], bool>
      %cm = "onnx.Where"(%above, %ninf, %zero) : (!onnx.tensor<[5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[5, 5], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %cm) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "sdpa_causal_nofuse"
// CHECK: %[[M:.*]] = "onnx.Where"(%above, %ninf, %zero)
// CHECK: "nn.attention"(%q, %k, %v, %[[M]]) <{{.*}}is_causal = 0 : i64}>
// STD-LABEL: name = "sdpa_causal_nofuse"
// STD: "onnx.Attention_v23"({{.*}}is_causal = 0 : i64}>
// ORT-LABEL: name = "sdpa_causal_nofuse"
// ORT: unidirectional = 0 : i64

// -----

// GPT-2: q, k, v are one Split of x·W (the fused op reads the packed tensor), and the merge Reshape goes
// straight to [B·S, 8]: it stays, reading the fused [B, S, 8] result (same element order).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "gpt2_packed", input_names = ["x", "mask"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 5, 8], f32>, %mask: !onnx.tensor<[2, 1, 5, 5], f32>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [8, 24] = [-0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25]>}> : () -> !onnx.tensor<[8, 24], f32>
      %widths = "onnx.initializer"() <{name = "widths", value = #onnx.dense<i64 [3] = [8, 8, 8]>}> : () -> !onnx.tensor<[3], i64>
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %shape2 = "onnx.initializer"() <{name = "shape2", value = #onnx.dense<i64 [2] = [-1, 8]>}> : () -> !onnx.tensor<[2], i64>
      %qkv = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[8, 24], f32>) -> !onnx.tensor<[2, 5, 24], f32>
      %q, %k, %v = "onnx.Split"(%qkv, %widths) <{axis = 2 : i64}> : (!onnx.tensor<[2, 5, 24], f32>, !onnx.tensor<[3], i64>) -> (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>)
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %mask) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %shape2) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<["2*5", 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<["2*5", 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gpt2_packed"
// CHECK: %[[QKV:.*]] = "onnx.MatMul"(%x, %w)
// CHECK: %[[A:.*]] = "nn.attention"(%[[QKV]], %[[NONE:.*]], %[[NONE]], %mask) <{q_num_heads = 2 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}>
// CHECK: %[[Y:.*]] = "onnx.Reshape"(%[[A]], %shape2)
// CHECK-NOT: "onnx.Split"(
// CHECK: "onnx.return"(%[[Y]])
// STD-LABEL: name = "gpt2_packed"
// STD: %[[Q:.*]], %[[K:.*]], %[[V:.*]] = "onnx.Split"(%qkv, %{{.*}}) <{axis = -1 : i64}>
// STD: "onnx.Attention_v23"(%[[Q]], %[[K]], %[[V]],
// ORT-LABEL: name = "gpt2_packed"
// ORT-NOT: "onnx.MatMul"
// ORT: %[[A:.*]] = "onnx.custom"(%x, %w, %{{.*}}, %{{.*}}, %{{.*}}, %mask) <{domain = "com.microsoft", op_type = "Attention", attrs = {num_heads = 2 : i64, scale = 5.000000e-01 : f32, unidirectional = 0 : i64}
// ORT: "onnx.Reshape"(%[[A]], %shape2)

// -----

// _nofuse: the merge Reshape's target is computed (allowzero = 0): a 0 past dim 1 would copy the head dim.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "gpt2_packed_nofuse", input_names = ["x", "mask", "shape2"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 5, 8], f32>, %mask: !onnx.tensor<[2, 1, 5, 5], f32>, %shape2: !onnx.tensor<[2], i64>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [8, 24] = [-0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25, -0.05, 0.30, 0.00, -0.30, 0.05, -0.25, 0.10, -0.20, 0.15, -0.15, 0.20, -0.10, 0.25]>}> : () -> !onnx.tensor<[8, 24], f32>
      %widths = "onnx.initializer"() <{name = "widths", value = #onnx.dense<i64 [3] = [8, 8, 8]>}> : () -> !onnx.tensor<[3], i64>
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %qkv = "onnx.MatMul"(%x, %w) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[8, 24], f32>) -> !onnx.tensor<[2, 5, 24], f32>
      %q, %k, %v = "onnx.Split"(%qkv, %widths) <{axis = 2 : i64}> : (!onnx.tensor<[2, 5, 24], f32>, !onnx.tensor<[3], i64>) -> (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[2, 5, 8], f32>)
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %mask) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %shape2) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[?, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[?, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gpt2_packed_nofuse"
// CHECK-NOT: "nn.attention"
// CHECK: "onnx.Softmax"(
// STD-LABEL: name = "gpt2_packed_nofuse"
// STD-NOT: "onnx.Attention
// ORT-LABEL: name = "gpt2_packed_nofuse"
// ORT-NOT: "onnx.custom"

// -----

// ViT (dynamo): the mask Where(Expand(True), 0, min) is zero everywhere, so there is no mask.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "vit_zero_mask", input_names = ["q", "k", "v", "shape4"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %shape4: !onnx.tensor<[4], i64>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %zero = "onnx.initializer"() <{name = "zero", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %min = "onnx.initializer"() <{name = "min", value = #onnx.dense<f32 [] = [-3.4028234663852886e+38]>}> : () -> !onnx.tensor<[], f32>
      %true = "onnx.initializer"() <{name = "true", value = #onnx.dense<bool [1, 1, 1, 1] = [true]>}> : () -> !onnx.tensor<[1, 1, 1, 1], bool>
      %keep = "onnx.Expand"(%true, %shape4) : (!onnx.tensor<[1, 1, 1, 1], bool>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 1, 5, 5], bool>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %bias = "onnx.Where"(%keep, %zero, %min) : (!onnx.tensor<[2, 1, 5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 1, 5, 5], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %bias) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "vit_zero_mask"
// CHECK: %[[Y:.*]] = "nn.attention"(%q, %k, %v, %{{.*}}) {{.*}} : ({{.*}}, !onnx.none) ->
// CHECK: "onnx.return"(%[[Y]])
// STD-LABEL: name = "vit_zero_mask"
// STD-NOT: "onnx.Where"
// STD: "onnx.Attention_v23"
// ORT-LABEL: name = "vit_zero_mask"
// ORT: op_type = "MultiHeadAttention"

// -----

// _nofuse twin: the condition is a graph input, so the mask is kept (not dropped).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "vit_zero_mask_nofuse", input_names = ["q", "k", "v", "shape4", "keep"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[2, 5, 8], f32>, %k: !onnx.tensor<[2, 5, 8], f32>, %v: !onnx.tensor<[2, 5, 8], f32>, %shape4: !onnx.tensor<[4], i64>, %keep: !onnx.tensor<[2, 1, 5, 5], bool>):
      %hs = "onnx.initializer"() <{name = "hs", value = #onnx.dense<i64 [4] = [0, 0, 2, 4]>}> : () -> !onnx.tensor<[4], i64>
      %ms = "onnx.initializer"() <{name = "ms", value = #onnx.dense<i64 [3] = [0, 0, 8]>}> : () -> !onnx.tensor<[3], i64>
      %c = "onnx.initializer"() <{name = "c", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %zero = "onnx.initializer"() <{name = "zero", value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %min = "onnx.initializer"() <{name = "min", value = #onnx.dense<f32 [] = [-3.4028234663852886e+38]>}> : () -> !onnx.tensor<[], f32>
      %q4_s = "onnx.Reshape"(%q, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %q4 = "onnx.Transpose"(%q4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %kt_s = "onnx.Reshape"(%k, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %kt = "onnx.Transpose"(%kt_s) <{perm = array<i64: 0, 2, 3, 1>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 4, 5], f32>
      %v4_s = "onnx.Reshape"(%v, %hs) : (!onnx.tensor<[2, 5, 8], f32>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %v4 = "onnx.Transpose"(%v4_s) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 5, 2, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %bias = "onnx.Where"(%keep, %zero, %min) : (!onnx.tensor<[2, 1, 5, 5], bool>, !onnx.tensor<[], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 1, 5, 5], f32>
      %qk = "onnx.MatMul"(%q4, %kt) : (!onnx.tensor<[2, 2, 5, 4], f32>, !onnx.tensor<[2, 2, 4, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sc = "onnx.Mul"(%qk, %c) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %sm = "onnx.Add"(%sc, %bias) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 1, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (!onnx.tensor<[2, 2, 5, 5], f32>) -> !onnx.tensor<[2, 2, 5, 5], f32>
      %ctx = "onnx.MatMul"(%p, %v4) : (!onnx.tensor<[2, 2, 5, 5], f32>, !onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 2, 5, 4], f32>
      %ctx_t = "onnx.Transpose"(%ctx) <{perm = array<i64: 0, 2, 1, 3>}> : (!onnx.tensor<[2, 2, 5, 4], f32>) -> !onnx.tensor<[2, 5, 2, 4], f32>
      %y = "onnx.Reshape"(%ctx_t, %ms) : (!onnx.tensor<[2, 5, 2, 4], f32>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[2, 5, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[2, 5, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "vit_zero_mask_nofuse"
// CHECK: %[[B:.*]] = "onnx.Where"(%keep, %zero, %min)
// CHECK: "nn.attention"(%q, %k, %v, %[[B]])
// STD-LABEL: name = "vit_zero_mask_nofuse"
// STD: %[[B:.*]] = "onnx.Where"(%keep, %zero, %min)
// STD: %[[C:.*]] = "onnx.Max"(%[[B]], %{{.*}})
// STD: "onnx.Attention_v23"(%q, %k, %v, %[[C]],
// ORT-LABEL: name = "vit_zero_mask_nofuse"
// ORT: "onnx.custom"(%q, %k, %v, %{{.*}}, %{{.*}}, %{{.*}}) <{domain = "com.microsoft", op_type = "MultiHeadAttention"
