// RUN: xdsl-opt %s --split-input-file | filecheck %s
// The nn ops have no custom syntax: the generic form prints the same op lines.
// RUN: xdsl-opt %s --split-input-file --print-op-generic | filecheck %s
// Locations (a fused op's provenance) print with --print-debuginfo.
// RUN: xdsl-opt %s --split-input-file --print-debuginfo | filecheck %s --check-prefix=LOC
//
// Every nn op, parsed and printed back. The CHECK lines are the full printed op lines, so
// the printed form is the input form (it parses back), operand order, properties and
// types included.

// nn.linear: 3-D input with a 1-D bias, and an absent bias (onnx.novalue) in f16.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "linear", input_names = ["x", "w", "b", "h", "hw"], output_names = ["y", "yh"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f32>, %w: !onnx.tensor<[4, 8], f32>, %b: !onnx.tensor<[8], f32>, %h: !onnx.tensor<[2, 4], f16>, %hw: !onnx.tensor<[4, 8], f16>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y = "nn.linear"(%x, %w, %b) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4, 8], f32>, !onnx.tensor<[8], f32>) -> !onnx.tensor<[batch, sequence, 8], f32> loc(fused["matmul", "matmul", "add"])
      %yh = "nn.linear"(%h, %hw, %none) : (!onnx.tensor<[2, 4], f16>, !onnx.tensor<[4, 8], f16>, !onnx.none) -> !onnx.tensor<[2, 8], f16>
      "onnx.return"(%y, %yh) : (!onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[2, 8], f16>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "linear",
// CHECK-NEXT:  ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f32>, %w: !onnx.tensor<[4, 8], f32>, %b: !onnx.tensor<[8], f32>, %h: !onnx.tensor<[2, 4], f16>, %hw: !onnx.tensor<[4, 8], f16>):
// CHECK-NEXT:    %none = "onnx.novalue"() : () -> !onnx.none
// CHECK-NEXT:    %y = "nn.linear"(%x, %w, %b) : (!onnx.tensor<[batch, sequence, 4], f32>, !onnx.tensor<[4, 8], f32>, !onnx.tensor<[8], f32>) -> !onnx.tensor<[batch, sequence, 8], f32>
// CHECK-NEXT:    %yh = "nn.linear"(%h, %hw, %none) : (!onnx.tensor<[2, 4], f16>, !onnx.tensor<[4, 8], f16>, !onnx.none) -> !onnx.tensor<[2, 8], f16>
// CHECK-NEXT:    "onnx.return"(%y, %yh) : (!onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[2, 8], f16>) -> ()
// LOC-LABEL: "onnx.graph"() <{name = "linear",
// LOC:         %y = "nn.linear"(%x, %w, %b) : {{.*}} -> !onnx.tensor<[batch, sequence, 8], f32> loc(fused["matmul", "matmul", "add"])
// LOC-NEXT:    %yh = "nn.linear"(%h, %hw, %none) : {{.*}} -> !onnx.tensor<[2, 8], f16> loc(unknown)

// -----

// nn.layer_norm: over the last axis with γ and β, and over the last two axes with β absent.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "layer_norm", input_names = ["x", "g", "b", "g2"], output_names = ["y", "y2"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 3, 4], f32>, %g: !onnx.tensor<[4], f32>, %b: !onnx.tensor<[4], f32>, %g2: !onnx.tensor<[3, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y = "nn.layer_norm"(%x, %g, %b) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
      %y2 = "nn.layer_norm"(%x, %g2, %none) <{axis = 1 : i64, epsilon = 0.000000e+00 : f32}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[3, 4], f32>, !onnx.none) -> !onnx.tensor<[batch, 3, 4], f32>
      "onnx.return"(%y, %y2) : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[batch, 3, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "layer_norm",
// CHECK:         %y = "nn.layer_norm"(%x, %g, %b) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 3, 4], f32>
// CHECK-NEXT:    %y2 = "nn.layer_norm"(%x, %g2, %none) <{axis = 1 : i64, epsilon = 0.000000e+00 : f32}> : (!onnx.tensor<[batch, 3, 4], f32>, !onnx.tensor<[3, 4], f32>, !onnx.none) -> !onnx.tensor<[batch, 3, 4], f32>
// CHECK-NEXT:    "onnx.return"(%y, %y2)

// -----

// nn.attention with a KV cache (past_key, past_value → present_key, present_value) and with K/V heads
// already split ([B, kv_heads, T, D]: a cached cross-attention's inputs).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "cached_attention", input_names = ["q", "k", "v", "pk", "pv", "ek", "ev"], output_names = ["y", "k2", "v2", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[batch, sequence, 16], f32>, %k: !onnx.tensor<[batch, sequence, 8], f32>, %v: !onnx.tensor<[batch, sequence, 8], f32>, %pk: !onnx.tensor<[batch, 2, past, 4], f32>, %pv: !onnx.tensor<[batch, 2, past, 4], f32>, %ek: !onnx.tensor<[batch, 4, enc, 4], f32>, %ev: !onnx.tensor<[batch, 4, enc, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y, %k2, %v2 = "nn.attention"(%q, %k, %v, %none, %pk, %pv) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, sequence, 8], f32>, !onnx.tensor<[batch, sequence, 8], f32>, !onnx.none, !onnx.tensor<[batch, 2, past, 4], f32>, !onnx.tensor<[batch, 2, past, 4], f32>) -> (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, 2, "past + sequence", 4], f32>, !onnx.tensor<[batch, 2, "past + sequence", 4], f32>)
      %y2 = "nn.attention"(%y, %ek, %ev, %none) <{q_num_heads = 4 : i64, kv_num_heads = 4 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, 4, enc, 4], f32>, !onnx.tensor<[batch, 4, enc, 4], f32>, !onnx.none) -> !onnx.tensor<[batch, sequence, 16], f32>
      "onnx.return"(%y, %k2, %v2, %y2) : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, 2, "past + sequence", 4], f32>, !onnx.tensor<[batch, 2, "past + sequence", 4], f32>, !onnx.tensor<[batch, sequence, 16], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "cached_attention",
// CHECK:         %y, %k2, %v2 = "nn.attention"(%q, %k, %v, %none, %pk, %pv) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}>
// CHECK-NEXT:    %y2 = "nn.attention"(%y, %ek, %ev, %none)

// -----

// nn.rms_norm: bf16 with an f32 epsilon property.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "rms_norm", input_names = ["x", "g"], output_names = ["y"], output_types = [!onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], bf16>, %g: !onnx.tensor<[4], bf16>):
      %y = "nn.rms_norm"(%x, %g) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : (!onnx.tensor<[batch, sequence, 4], bf16>, !onnx.tensor<[4], bf16>) -> !onnx.tensor<[batch, sequence, 4], bf16> loc("rms")
      "onnx.return"(%y) : (!onnx.tensor<[batch, sequence, 4], bf16>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "rms_norm",
// CHECK-NEXT:  ^bb0(%x: !onnx.tensor<[batch, sequence, 4], bf16>, %g: !onnx.tensor<[4], bf16>):
// CHECK-NEXT:    %y = "nn.rms_norm"(%x, %g) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : (!onnx.tensor<[batch, sequence, 4], bf16>, !onnx.tensor<[4], bf16>) -> !onnx.tensor<[batch, sequence, 4], bf16>
// CHECK-NEXT:    "onnx.return"(%y)
// LOC-LABEL: "onnx.graph"() <{name = "rms_norm",
// LOC:         %y = "nn.rms_norm"(%x, %g) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : {{.*}} loc("rms")

// -----

// nn.gelu: the erf form without bias and the tanh form with a 1-D bias, on unknown-rank tensors.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "gelu", input_names = ["x", "b"], output_names = ["y", "y2"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<*, f64>, %b: !onnx.tensor<[8], f64>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y = "nn.gelu"(%x, %none) <{approximate = "none"}> : (!onnx.tensor<*, f64>, !onnx.none) -> !onnx.tensor<*, f64>
      %y2 = "nn.gelu"(%x, %b) <{approximate = "tanh"}> : (!onnx.tensor<*, f64>, !onnx.tensor<[8], f64>) -> !onnx.any
      "onnx.return"(%y, %y2) : (!onnx.tensor<*, f64>, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "gelu",
// CHECK:         %y = "nn.gelu"(%x, %none) <{approximate = "none"}> : (!onnx.tensor<*, f64>, !onnx.none) -> !onnx.tensor<*, f64>
// CHECK-NEXT:    %y2 = "nn.gelu"(%x, %b) <{approximate = "tanh"}> : (!onnx.tensor<*, f64>, !onnx.tensor<[8], f64>) -> !onnx.any
// CHECK-NEXT:    "onnx.return"(%y, %y2)

// -----

// nn.skip_layer_norm: two results (output, sum); all optional operands present, then all absent.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64, com.microsoft = 1 : i64}}> ({
    "onnx.graph"() <{name = "skip_layer_norm", input_names = ["x", "s", "g", "b", "sb"], output_names = ["y", "sum", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, sequence, 4], f16>, %s: !onnx.tensor<[batch, sequence, 4], f16>, %g: !onnx.tensor<[4], f16>, %b: !onnx.tensor<[4], f16>, %sb: !onnx.tensor<[4], f16>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %b, %sb) <{epsilon = 1.000000e-12 : f32}> : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[4], f16>, !onnx.tensor<[4], f16>, !onnx.tensor<[4], f16>) -> (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>)
      %y2, %unused = "nn.skip_layer_norm"(%x, %s, %g, %none, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[4], f16>, !onnx.none, !onnx.none) -> (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.any)
      "onnx.return"(%y, %sum, %y2) : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "skip_layer_norm",
// CHECK:         %y, %sum = "nn.skip_layer_norm"(%x, %s, %g, %b, %sb) <{epsilon = 1.000000e-12 : f32}> : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[4], f16>, !onnx.tensor<[4], f16>, !onnx.tensor<[4], f16>) -> (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>)
// CHECK-NEXT:    %y2, %unused = "nn.skip_layer_norm"(%x, %s, %g, %none, %none) <{epsilon = 1.000000e-05 : f32}> : (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[batch, sequence, 4], f16>, !onnx.tensor<[4], f16>, !onnx.none, !onnx.none) -> (!onnx.tensor<[batch, sequence, 4], f16>, !onnx.any)
// CHECK-NEXT:    "onnx.return"(%y, %sum, %y2)

// -----

// nn.rotary_embedding: a packed 3-D input with num_heads and i64 position_ids; a 4-D input, interleaved,
// rotary_dim 0 (all dims).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "rotary_embedding", input_names = ["q", "k", "cos", "sin", "pos", "c2", "s2"], output_names = ["rq", "rk"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[batch, sequence, 16], f32>, %k: !onnx.tensor<[batch, 2, sequence, 8], f32>, %cos: !onnx.tensor<[64, 4], f32>, %sin: !onnx.tensor<[64, 4], f32>, %pos: !onnx.tensor<[batch, sequence], i64>, %c2: !onnx.tensor<[1, sequence, 4], f32>, %s2: !onnx.tensor<[1, sequence, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %rq = "nn.rotary_embedding"(%q, %cos, %sin, %pos) <{num_heads = 2 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[64, 4], f32>, !onnx.tensor<[64, 4], f32>, !onnx.tensor<[batch, sequence], i64>) -> !onnx.tensor<[batch, sequence, 16], f32>
      %rk = "nn.rotary_embedding"(%k, %c2, %s2, %none) <{num_heads = 0 : i64, rotary_dim = 0 : i64, interleaved = 1 : i64}> : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, sequence, 4], f32>, !onnx.tensor<[1, sequence, 4], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
      "onnx.return"(%rq, %rk) : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, 2, sequence, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "rotary_embedding",
// CHECK:         %rq = "nn.rotary_embedding"(%q, %cos, %sin, %pos) <{num_heads = 2 : i64, rotary_dim = 8 : i64, interleaved = 0 : i64}> : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[64, 4], f32>, !onnx.tensor<[64, 4], f32>, !onnx.tensor<[batch, sequence], i64>) -> !onnx.tensor<[batch, sequence, 16], f32>
// CHECK-NEXT:    %rk = "nn.rotary_embedding"(%k, %c2, %s2, %none) <{num_heads = 0 : i64, rotary_dim = 0 : i64, interleaved = 1 : i64}> : (!onnx.tensor<[batch, 2, sequence, 8], f32>, !onnx.tensor<[1, sequence, 4], f32>, !onnx.tensor<[1, sequence, 4], f32>, !onnx.none) -> !onnx.tensor<[batch, 2, sequence, 8], f32>
// CHECK-NEXT:    "onnx.return"(%rq, %rk)

// -----

// nn.attention: GQA (4 query heads, 2 KV heads) with a boolean mask; packed QKV (key and value absent),
// causal, no mask.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "attention", input_names = ["q", "k", "v", "mask", "qkv"], output_names = ["y", "y2"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%q: !onnx.tensor<[batch, sequence, 16], f32>, %k: !onnx.tensor<[batch, total, 8], f32>, %v: !onnx.tensor<[batch, total, 8], f32>, %mask: !onnx.tensor<[batch, 1, sequence, total], bool>, %qkv: !onnx.tensor<[batch, sequence, 24], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y = "nn.attention"(%q, %k, %v, %mask) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, total, 8], f32>, !onnx.tensor<[batch, total, 8], f32>, !onnx.tensor<[batch, 1, sequence, total], bool>) -> !onnx.tensor<[batch, sequence, 16], f32>
      %y2 = "nn.attention"(%qkv, %none, %none, %none) <{q_num_heads = 2 : i64, kv_num_heads = 1 : i64, scale = 2.500000e-01 : f32, is_causal = 1 : i64}> : (!onnx.tensor<[batch, sequence, 24], f32>, !onnx.none, !onnx.none, !onnx.none) -> !onnx.tensor<[batch, sequence, 12], f32>
      "onnx.return"(%y, %y2) : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, sequence, 12], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "attention",
// CHECK:         %y = "nn.attention"(%q, %k, %v, %mask) <{q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 5.000000e-01 : f32, is_causal = 0 : i64}> : (!onnx.tensor<[batch, sequence, 16], f32>, !onnx.tensor<[batch, total, 8], f32>, !onnx.tensor<[batch, total, 8], f32>, !onnx.tensor<[batch, 1, sequence, total], bool>) -> !onnx.tensor<[batch, sequence, 16], f32>
// CHECK-NEXT:    %y2 = "nn.attention"(%qkv, %none, %none, %none) <{q_num_heads = 2 : i64, kv_num_heads = 1 : i64, scale = 2.500000e-01 : f32, is_causal = 1 : i64}> : (!onnx.tensor<[batch, sequence, 24], f32>, !onnx.none, !onnx.none, !onnx.none) -> !onnx.tensor<[batch, sequence, 12], f32>
// CHECK-NEXT:    "onnx.return"(%y, %y2)

// -----

// nn.conv: no activation (folded BatchNorm) with the Conv attributes kept; Clip with f32 bounds; LeakyRelu
// without bias; Clip with f64 bounds (a double-precision model).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 10 : i64, opset_import = {"" = 23 : i64}}> ({
    "onnx.graph"() <{name = "conv", input_names = ["x", "w", "b", "xd", "wd"], output_names = ["y", "y6", "yl", "yd"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 4, 8, 8], f32>, %w: !onnx.tensor<[4, 2, 3, 3], f32>, %b: !onnx.tensor<[4], f32>, %xd: !onnx.tensor<[1, 2, 5], f64>, %wd: !onnx.tensor<[2, 2, 1], f64>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y = "nn.conv"(%x, %w, %b) <{conv_attrs = {group = 2 : i64, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}, activation = ""}> : (!onnx.tensor<[batch, 4, 8, 8], f32>, !onnx.tensor<[4, 2, 3, 3], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4, 4, 4], f32> loc(fused["conv", "conv", "bn"])
      %y6 = "nn.conv"(%x, %w, %b) <{conv_attrs = {auto_pad = "SAME_UPPER", group = 2 : i64}, activation = "Clip", activation_params = [0.000000e+00 : f32, 6.000000e+00 : f32]}> : (!onnx.tensor<[batch, 4, 8, 8], f32>, !onnx.tensor<[4, 2, 3, 3], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4, 8, 8], f32>
      %yl = "nn.conv"(%x, %w, %none) <{conv_attrs = {}, activation = "LeakyRelu", activation_params = [2.000000e-01 : f32]}> : (!onnx.tensor<[batch, 4, 8, 8], f32>, !onnx.tensor<[4, 2, 3, 3], f32>, !onnx.none) -> !onnx.tensor<[batch, 4, 6, 6], f32>
      %yd = "nn.conv"(%xd, %wd, %none) <{conv_attrs = {dilations = array<i64: 1>}, activation = "Clip", activation_params = [-1.000000e+00 : f64, 1.000000e+00 : f64]}> : (!onnx.tensor<[1, 2, 5], f64>, !onnx.tensor<[2, 2, 1], f64>, !onnx.none) -> !onnx.tensor<[1, 2, 5], f64>
      "onnx.return"(%y, %y6, %yl, %yd) : (!onnx.tensor<[batch, 4, 4, 4], f32>, !onnx.tensor<[batch, 4, 8, 8], f32>, !onnx.tensor<[batch, 4, 6, 6], f32>, !onnx.tensor<[1, 2, 5], f64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: "onnx.graph"() <{name = "conv",
// CHECK:         %y = "nn.conv"(%x, %w, %b) <{conv_attrs = {group = 2 : i64, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}, activation = ""}> : (!onnx.tensor<[batch, 4, 8, 8], f32>, !onnx.tensor<[4, 2, 3, 3], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4, 4, 4], f32>
// CHECK-NEXT:    %y6 = "nn.conv"(%x, %w, %b) <{conv_attrs = {auto_pad = "SAME_UPPER", group = 2 : i64}, activation = "Clip", activation_params = [0.000000e+00 : f32, 6.000000e+00 : f32]}> : (!onnx.tensor<[batch, 4, 8, 8], f32>, !onnx.tensor<[4, 2, 3, 3], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4, 8, 8], f32>
// CHECK-NEXT:    %yl = "nn.conv"(%x, %w, %none) <{conv_attrs = {}, activation = "LeakyRelu", activation_params = [2.000000e-01 : f32]}> : (!onnx.tensor<[batch, 4, 8, 8], f32>, !onnx.tensor<[4, 2, 3, 3], f32>, !onnx.none) -> !onnx.tensor<[batch, 4, 6, 6], f32>
// CHECK-NEXT:    %yd = "nn.conv"(%xd, %wd, %none) <{conv_attrs = {dilations = array<i64: 1>}, activation = "Clip", activation_params = [-1.000000e+00 : f64, 1.000000e+00 : f64]}> : (!onnx.tensor<[1, 2, 5], f64>, !onnx.tensor<[2, 2, 1], f64>, !onnx.none) -> !onnx.tensor<[1, 2, 5], f64>
// CHECK-NEXT:    "onnx.return"(%y, %y6, %yl, %yd)
// LOC-LABEL: "onnx.graph"() <{name = "conv",
// LOC:         %y = "nn.conv"(%x, %w, %b) <{{.*}}> : {{.*}} loc(fused["conv", "conv", "bn"])
