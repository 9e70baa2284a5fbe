// RUN: xdsl-opt %s -p 'nn-fuse-rotary-embedding{target=ort}' --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p 'nn-fuse-rotary-embedding{target=ort},nn-fuse-rotary-embedding{target=ort}' --split-input-file | filecheck %s
// Lowering: com.microsoft::RotaryEmbedding under ort, RotaryEmbedding at opset 23.
// RUN: xdsl-opt %s -p 'nn-fuse-rotary-embedding{target=ort},nn-lower{target=ort}' --split-input-file | filecheck %s --check-prefix=ORT
// RUN: xdsl-opt %s -p nn-fuse-rotary-embedding,nn-lower --split-input-file | filecheck %s --check-prefix=STD

// HF apply_rotary_pos_emb on q [B, H, S, D]: q·cos + rotate_half(q)·sin with cos/sin = Cos/Sin(Concat(f, f))
// unsqueezed at dim 1 (operands in swapped orders). The fused op reads the first halves of cos/sin.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "rope", input_names = ["q", "f"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 2, sequence, 8], f32>]}> ({
    ^bb0(%q: !onnx.tensor<[batch, 2, sequence, 8], f32>, %f: !onnx.tensor<[1, sequence, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %ax1 = "onnx.initializer"() <{name = "ax1", value = #onnx.dense<i64 [1] = [1]>}> : () -> !onnx.tensor<[1], i64>
      %ax3 = "onnx.initializer"() <{name = "ax3", value = #onnx.dense<i64 [1] = [3]>}> : () -> !onnx.tensor<[1], i64>
      %s0 = "onnx.initializer"() <{name = "s0", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %sh = "onnx.initializer"() <{name = "sh", value = #onnx.dense<i64 [1] = [4]>}> : () -> !onnx.tensor<[1], i64>
      %smax = "onnx.initializer"() <{name = "smax", value = #onnx.dense<i64 [1] = [9223372036854775807]>}> : () -> !onnx.tensor<[1], i64>
      %emb = "onnx.Concat"(%f, %f) <{axis = -1 : i64}> : (!onnx.tensor<[1, sequence, 4], f32>, !onnx.tensor<[1, sequence, 4], f32>) -> !onnx.tensor<[1, sequence, 8], f32>
      %cos = "onnx.Cos"(%emb) : (!onnx.tensor<[1, sequence, 8], f32>) -> !onnx.tensor<[1, sequence, 8], f32>
      %sin = "onnx.Sin"(%emb) : (!onnx.tensor<[1, sequence, 8], f32>) -> !onnx.tensor<[1, sequence, 8], f32>
      %cos4 = "onnx.Unsqueeze"(%cos, %ax1) : (!onnx.tensor<[1, sequence, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, sequence, 8], f32>
      %sin4 = "onnx.Unsqueeze"(%sin, %ax1) : (!onnx.tensor<[1, sequence, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, sequence, 8], f32>
      %a = "onnx.Mul"(%cos4, %q) : (!onnx.tensor<[1, 1, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %x1 = "onnx.Slice"(%q, %s0, %sh, %ax3, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %x2 = "onnx.Slice"(%q, %sh, %smax, %ax3, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %nx2 = "onnx.Neg"(%x2) : (!onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %rot = "onnx.Concat"(%nx2, %x1) <{axis = -1 : i64}> : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %b = "onnx.Mul"(%sin4, %rot) : (!onnx.tensor<[1, 1, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %y = "onnx.Add"(%b, %a) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, 2, sequence, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rope"
// CHECK: ^bb0(%[[Q:.*]]: !onnx.tensor<[batch, 2, sequence, 8], f32>, %{{.*}}: !onnx.tensor<[1, sequence, 4], f32>):
// CHECK: %[[COS:.*]] = "onnx.Cos"
// CHECK: %[[SIN:.*]] = "onnx.Sin"
// CHECK: %[[CH:.*]] = "onnx.Slice"(%[[COS]], {{.*}}) : ({{.*}}) -> !onnx.tensor<[1, sequence, 4], f32>
// CHECK: %[[SH:.*]] = "onnx.Slice"(%[[SIN]], {{.*}}) : ({{.*}}) -> !onnx.tensor<[1, sequence, 4], f32>
// CHECK: %[[Y:.*]] = "nn.rotary_embedding"(%[[Q]], %[[CH]], %[[SH]], %{{.*}}) <{num_heads = 2 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}>
// CHECK-NOT: "onnx.Neg"(
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "rope"
// ORT: %[[CACHE:.*]] = "onnx.Reshape"
// ORT: "onnx.custom"(%q, %{{.*}}, %[[CACHE]], %{{.*}}) <{domain = "com.microsoft", op_type = "RotaryEmbedding", attrs = {interleaved = 0 : i64, num_heads = 2 : i64, rotary_embedding_dim = 0 : i64}
// STD-LABEL: name = "rope"
// STD: %[[B:.*]] = "onnx.Shape"(%q) <{start = 0 : i64, end = 1 : i64}>
// STD: %[[E:.*]] = "onnx.Expand"
// STD: %[[Y:.*]] = "onnx.RotaryEmbedding"(%q, %[[E]], %{{.*}}, %{{.*}}) <{interleaved = 0 : i64, rotary_embedding_dim = 0 : i64}>
// STD: "onnx.return"(%[[Y]])

// -----

// Partial rotation (GPT-NeoX, Phi): rotate q[..., :4] and pass q[..., 4:] through; the caches are
// per-batch [1, sequence, 4] constants-free values here, and rotary_dim becomes 4 of 8.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 20 : i64}}> ({
    "onnx.graph"() <{name = "rope_partial", input_names = ["q", "f"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 2, sequence, 8], f32>]}> ({
    ^bb0(%q: !onnx.tensor<[batch, 2, sequence, 8], f32>, %f: !onnx.tensor<[1, sequence, 2], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %ax1 = "onnx.initializer"() <{name = "ax1", value = #onnx.dense<i64 [1] = [1]>}> : () -> !onnx.tensor<[1], i64>
      %axm1 = "onnx.initializer"() <{name = "axm1", value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %s0 = "onnx.initializer"() <{name = "s0", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %s2 = "onnx.initializer"() <{name = "s2", value = #onnx.dense<i64 [1] = [2]>}> : () -> !onnx.tensor<[1], i64>
      %s4 = "onnx.initializer"() <{name = "s4", value = #onnx.dense<i64 [1] = [4]>}> : () -> !onnx.tensor<[1], i64>
      %smax = "onnx.initializer"() <{name = "smax", value = #onnx.dense<i64 [1] = [9223372036854775807]>}> : () -> !onnx.tensor<[1], i64>
      %emb = "onnx.Concat"(%f, %f) <{axis = 2 : i64}> : (!onnx.tensor<[1, sequence, 2], f32>, !onnx.tensor<[1, sequence, 2], f32>) -> !onnx.tensor<[1, sequence, 4], f32>
      %cos = "onnx.Cos"(%emb) : (!onnx.tensor<[1, sequence, 4], f32>) -> !onnx.tensor<[1, sequence, 4], f32>
      %sin = "onnx.Sin"(%emb) : (!onnx.tensor<[1, sequence, 4], f32>) -> !onnx.tensor<[1, sequence, 4], f32>
      %cos4 = "onnx.Unsqueeze"(%cos, %ax1) : (!onnx.tensor<[1, sequence, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, sequence, 4], f32>
      %sin4 = "onnx.Unsqueeze"(%sin, %ax1) : (!onnx.tensor<[1, sequence, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, sequence, 4], f32>
      %qr = "onnx.Slice"(%q, %s0, %s4, %axm1, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %qp = "onnx.Slice"(%q, %s4, %smax, %axm1, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %a = "onnx.Mul"(%qr, %cos4) : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[1, 1, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %x1 = "onnx.Slice"(%qr, %s0, %s2, %axm1, %none) : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 2], f32>
      %x2 = "onnx.Slice"(%qr, %s2, %smax, %axm1, %none) : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 2], f32>
      %nx2 = "onnx.Neg"(%x2) : (!onnx.tensor<[batch, 2, sequence, 2], f32>) -> !onnx.tensor<[batch, 2, sequence, 2], f32>
      %rot = "onnx.Concat"(%nx2, %x1) <{axis = 3 : i64}> : (!onnx.tensor<[batch, 2, sequence, 2], f32>, !onnx.tensor<[batch, 2, sequence, 2], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %b = "onnx.Mul"(%rot, %sin4) : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[1, 1, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %yr = "onnx.Add"(%a, %b) : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %y = "onnx.Concat"(%yr, %qp) <{axis = -1 : i64}> : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, 2, sequence, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rope_partial"
// CHECK: ^bb0(%[[Q:.*]]: !onnx.tensor<[batch, 2, sequence, 8], f32>, %{{.*}}: !onnx.tensor<[1, sequence, 2], f32>):
// CHECK: %[[Y:.*]] = "nn.rotary_embedding"(%[[Q]], %{{.*}}, %{{.*}}, %{{.*}}) <{num_heads = 2 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}>
// CHECK-NOT: "onnx.Concat"(%{{.*}}, %{{.*}}) <{axis = -1 : i64}> {{.*}} -> !onnx.tensor<[batch, 2, sequence, 8], f32>
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "rope_partial"
// ORT: %[[Y:.*]] = "onnx.custom"(%q, {{.*}}) <{domain = "com.microsoft", op_type = "RotaryEmbedding", attrs = {interleaved = 0 : i64, num_heads = 2 : i64, rotary_embedding_dim = 4 : i64}
// ORT: "onnx.return"(%[[Y]])
// STD-LABEL: name = "rope_partial"
// STD: "onnx.Neg"

// -----

// Per-batch caches [batch, sequence, 8] (a model taking position_ids): RotaryEmbedding reads them as they
// are (no Expand); com.microsoft::RotaryEmbedding has no form for them, so under ort the standard op is
// written (ort runs it; the model is at opset 23).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "rope_per_batch", input_names = ["q", "f"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 2, sequence, 8], f32>]}> ({
    ^bb0(%q: !onnx.tensor<[batch, 2, sequence, 8], f32>, %f: !onnx.tensor<[batch, sequence, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %ax1 = "onnx.initializer"() <{name = "ax1", value = #onnx.dense<i64 [1] = [1]>}> : () -> !onnx.tensor<[1], i64>
      %ax3 = "onnx.initializer"() <{name = "ax3", value = #onnx.dense<i64 [1] = [3]>}> : () -> !onnx.tensor<[1], i64>
      %s0 = "onnx.initializer"() <{name = "s0", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %sh = "onnx.initializer"() <{name = "sh", value = #onnx.dense<i64 [1] = [4]>}> : () -> !onnx.tensor<[1], i64>
      %smax = "onnx.initializer"() <{name = "smax", value = #onnx.dense<i64 [1] = [9223372036854775807]>}> : () -> !onnx.tensor<[1], i64>
      %emb = "onnx.Concat"(%f, %f) <{axis = -1 : i64}> : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[batch, sequence, 4], f32>) -> !onnx.tensor<[batch, sequence, 8], f32>
      %cos = "onnx.Cos"(%emb) : (!onnx.tensor<[batch, sequence, 8], f32>) -> !onnx.tensor<[batch, sequence, 8], f32>
      %sin = "onnx.Sin"(%emb) : (!onnx.tensor<[batch, sequence, 8], f32>) -> !onnx.tensor<[batch, sequence, 8], f32>
      %cos4 = "onnx.Unsqueeze"(%cos, %ax1) : (!onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1, sequence, 8], f32>
      %sin4 = "onnx.Unsqueeze"(%sin, %ax1) : (!onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1, sequence, 8], f32>
      %a = "onnx.Mul"(%cos4, %q) : (!onnx.tensor<[batch, 1, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %x1 = "onnx.Slice"(%q, %s0, %sh, %ax3, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %x2 = "onnx.Slice"(%q, %sh, %smax, %ax3, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %nx2 = "onnx.Neg"(%x2) : (!onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %rot = "onnx.Concat"(%nx2, %x1) <{axis = -1 : i64}> : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %b = "onnx.Mul"(%sin4, %rot) : (!onnx.tensor<[batch, 1, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %y = "onnx.Add"(%b, %a) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, 2, sequence, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rope_per_batch"
// CHECK: "nn.rotary_embedding"
// CHECK: "onnx.return"
// ORT-LABEL: name = "rope_per_batch"
// ORT-NOT: "onnx.custom"
// ORT: %[[Y:.*]] = "onnx.RotaryEmbedding"(%q, %{{.*}}, %{{.*}}, %{{.*}}) <{interleaved = 0 : i64, rotary_embedding_dim = 0 : i64}>
// ORT: "onnx.return"(%[[Y]])
// STD-LABEL: name = "rope_per_batch"
// STD-NOT: "onnx.Expand"
// STD: %[[Y:.*]] = "onnx.RotaryEmbedding"(%q, %{{.*}}, %{{.*}}, %{{.*}}) <{interleaved = 0 : i64, rotary_embedding_dim = 0 : i64}>
// STD: "onnx.return"(%[[Y]])

// -----

// A constant cos/sin (static sequence) whose halves compare equal; the Unsqueeze is the opset-11 form.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 13 : i64}}> ({
    "onnx.graph"() <{name = "rope_constant", input_names = ["q"], output_names = ["y"], output_types = [!onnx.tensor<[batch, 1, 2, 4], f32>]}> ({
    ^bb0(%q: !onnx.tensor<[batch, 1, 2, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %ax1 = "onnx.initializer"() <{name = "ax1", value = #onnx.dense<i64 [1] = [1]>}> : () -> !onnx.tensor<[1], i64>
      %ax3 = "onnx.initializer"() <{name = "ax3", value = #onnx.dense<i64 [1] = [-1]>}> : () -> !onnx.tensor<[1], i64>
      %s0 = "onnx.initializer"() <{name = "s0", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %sh = "onnx.initializer"() <{name = "sh", value = #onnx.dense<i64 [1] = [2]>}> : () -> !onnx.tensor<[1], i64>
      %send = "onnx.initializer"() <{name = "send", value = #onnx.dense<i64 [1] = [4]>}> : () -> !onnx.tensor<[1], i64>
      %cos = "onnx.initializer"() <{name = "cos", value = #onnx.dense<f32 [1, 2, 4] = [1.0, 0.5, 1.0, 0.5, 0.25, 0.125, 0.25, 0.125]>}> : () -> !onnx.tensor<[1, 2, 4], f32>
      %sin = "onnx.initializer"() <{name = "sin", value = #onnx.dense<f32 [1, 2, 4] = [0.0, 0.5, 0.0, 0.5, 0.75, 0.875, 0.75, 0.875]>}> : () -> !onnx.tensor<[1, 2, 4], f32>
      %cos4 = "onnx.Unsqueeze"(%cos, %ax1) : (!onnx.tensor<[1, 2, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, 2, 4], f32>
      %sin4 = "onnx.Unsqueeze"(%sin, %ax1) : (!onnx.tensor<[1, 2, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, 2, 4], f32>
      %a = "onnx.Mul"(%q, %cos4) : (!onnx.tensor<[batch, 1, 2, 4], f32>, !onnx.tensor<[1, 1, 2, 4], f32>) -> !onnx.tensor<[batch, 1, 2, 4], f32>
      %x1 = "onnx.Slice"(%q, %s0, %sh, %ax3, %none) : (!onnx.tensor<[batch, 1, 2, 4], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 1, 2, 2], f32>
      %x2 = "onnx.Slice"(%q, %sh, %send, %ax3, %none) : (!onnx.tensor<[batch, 1, 2, 4], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 1, 2, 2], f32>
      %nx2 = "onnx.Neg"(%x2) : (!onnx.tensor<[batch, 1, 2, 2], f32>) -> !onnx.tensor<[batch, 1, 2, 2], f32>
      %rot = "onnx.Concat"(%nx2, %x1) <{axis = -1 : i64}> : (!onnx.tensor<[batch, 1, 2, 2], f32>, !onnx.tensor<[batch, 1, 2, 2], f32>) -> !onnx.tensor<[batch, 1, 2, 4], f32>
      %b = "onnx.Mul"(%rot, %sin4) : (!onnx.tensor<[batch, 1, 2, 4], f32>, !onnx.tensor<[1, 1, 2, 4], f32>) -> !onnx.tensor<[batch, 1, 2, 4], f32>
      %y = "onnx.Add"(%a, %b) : (!onnx.tensor<[batch, 1, 2, 4], f32>, !onnx.tensor<[batch, 1, 2, 4], f32>) -> !onnx.tensor<[batch, 1, 2, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[batch, 1, 2, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rope_constant"
// CHECK: %[[Y:.*]] = "nn.rotary_embedding"(%q, %{{.*}}, %{{.*}}, %{{.*}}) <{num_heads = 1 : i64, rotary_dim = 4 : i64, interleaved = 0 : i64}>
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "rope_constant"
// ORT: op_type = "RotaryEmbedding"

// -----

// _nofuse: cos halves not provably equal (a graph input), rotate_half with the halves swapped,
// x·cos and rotate_half(y)·sin on different values, a cos that broadcasts over the sequence.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 20 : i64}}> ({
    "onnx.graph"() <{name = "rope_nofuse", input_names = ["q", "k", "c", "s", "c1"], output_names = ["y0", "y1", "y2", "y3"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[batch, 2, sequence, 8], f32>, %k: !onnx.tensor<[batch, 2, sequence, 8], f32>, %c: !onnx.tensor<[1, sequence, 8], f32>, %s: !onnx.tensor<[1, sequence, 8], f32>, %c1: !onnx.tensor<[1, 1, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %ax1 = "onnx.initializer"() <{name = "ax1", value = #onnx.dense<i64 [1] = [1]>}> : () -> !onnx.tensor<[1], i64>
      %ax3 = "onnx.initializer"() <{name = "ax3", value = #onnx.dense<i64 [1] = [3]>}> : () -> !onnx.tensor<[1], i64>
      %s0 = "onnx.initializer"() <{name = "s0", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %sh = "onnx.initializer"() <{name = "sh", value = #onnx.dense<i64 [1] = [4]>}> : () -> !onnx.tensor<[1], i64>
      %smax = "onnx.initializer"() <{name = "smax", value = #onnx.dense<i64 [1] = [9223372036854775807]>}> : () -> !onnx.tensor<[1], i64>
      %cos4 = "onnx.Unsqueeze"(%c, %ax1) : (!onnx.tensor<[1, sequence, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, sequence, 8], f32>
      %sin4 = "onnx.Unsqueeze"(%s, %ax1) : (!onnx.tensor<[1, sequence, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, sequence, 8], f32>
      %x1 = "onnx.Slice"(%q, %s0, %sh, %ax3, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %x2 = "onnx.Slice"(%q, %sh, %smax, %ax3, %none) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %nx2 = "onnx.Neg"(%x2) : (!onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %rot = "onnx.Concat"(%nx2, %x1) <{axis = -1 : i64}> : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %a0 = "onnx.Mul"(%q, %cos4) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, 1, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %b0 = "onnx.Mul"(%rot, %sin4) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, 1, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %y0 = "onnx.Add"(%a0, %b0) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %emb = "onnx.Concat"(%c1, %c1) <{axis = -1 : i64}> : (!onnx.tensor<[1, 1, 4], f32>, !onnx.tensor<[1, 1, 4], f32>) -> !onnx.tensor<[1, 1, 8], f32>
      %e4 = "onnx.Unsqueeze"(%emb, %ax1) : (!onnx.tensor<[1, 1, 8], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1, 1, 1, 8], f32>
      %nx1 = "onnx.Neg"(%x1) : (!onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 4], f32>
      %swapped = "onnx.Concat"(%nx1, %x2) <{axis = -1 : i64}> : (!onnx.tensor<[batch, 2, sequence, 4], f32>, !onnx.tensor<[batch, 2, sequence, 4], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %a1 = "onnx.Mul"(%q, %e4) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, 1, 1, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %b1 = "onnx.Mul"(%swapped, %e4) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, 1, 1, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %y1 = "onnx.Add"(%a1, %b1) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %a2 = "onnx.Mul"(%k, %e4) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, 1, 1, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %b2 = "onnx.Mul"(%rot, %e4) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, 1, 1, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %y2 = "onnx.Add"(%a2, %b2) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %b3 = "onnx.Mul"(%rot, %e4) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, 1, 1, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      %y3 = "onnx.Add"(%a1, %b3) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      "onnx.return"(%y0, %y1, %y2, %y3) : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "rope_nofuse"
// CHECK-NOT: "nn.rotary_embedding"
// CHECK: "onnx.return"
// ORT-LABEL: name = "rope_nofuse"
// ORT-NOT: RotaryEmbedding
// ORT: "onnx.return"
