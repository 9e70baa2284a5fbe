// RUN: xdsl-opt %s -p onnx-canonicalize --split-input-file | filecheck %s
// Convergence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-canonicalize,onnx-canonicalize --split-input-file | filecheck %s
// The patterns are attached to the ops: xDSL's own canonicalize pass finds them too.
// RUN: xdsl-opt %s -p canonicalize --split-input-file | filecheck %s

// Identity → its input, also for uses inside a subgraph and for a graph output.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "identity", input_names = ["x", "c"], output_names = ["y0", "y1"], output_types = [!onnx.any, !onnx.tensor<[2, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %c: !onnx.tensor<[], bool>):
      %i = "onnx.Identity"(%x) : (!onnx.tensor<[2, 3], f32>) -> !onnx.any
      %r = "onnx.If"(%c) ({
        "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
          %e = "onnx.Relu"(%i) : (!onnx.any) -> !onnx.tensor<[2, 3], f32>
          "onnx.return"(%e) : (!onnx.tensor<[2, 3], f32>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
          %t = "onnx.Identity"(%i) : (!onnx.any) -> !onnx.tensor<[2, 3], f32>
          "onnx.return"(%t) : (!onnx.tensor<[2, 3], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2, 3], f32>
      %i2 = "onnx.Identity"(%i) : (!onnx.any) -> !onnx.any
      "onnx.return"(%i2, %r) : (!onnx.any, !onnx.tensor<[2, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "identity"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>, %{{.*}}: !onnx.tensor<[], bool>):
// CHECK-NOT: onnx.Identity
// CHECK: "onnx.Relu"(%[[X]])
// CHECK: "onnx.return"(%[[X]])
// CHECK-NOT: onnx.Identity
// CHECK: "onnx.return"(%[[X]], %{{.*}})

// -----

// _nofold: an Identity of another domain is not onnx.Identity.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, "com.example" = 1 : i64}}> ({
    "onnx.graph"() <{name = "identity_nofold", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>):
      %i = "onnx.custom"(%x) <{domain = "com.example", op_type = "Identity", attrs = {}, graph_attrs = []}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
      "onnx.return"(%i) : (!onnx.tensor<[2, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "identity_nofold"
// CHECK: %[[I:.*]] = "onnx.custom"
// CHECK: "onnx.return"(%[[I]])

// -----

// Inference Dropout (no training_mode, or a constant false one) with an unused mask → its input.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "dropout", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %d, %dm0 = "onnx.Dropout"(%x, %none, %none) : (!onnx.tensor<[2, 3], f32>, !onnx.none, !onnx.none) -> (!onnx.tensor<[2, 3], f32>, !onnx.none)
      %f = "onnx.Constant"() <{value = #onnx.dense<bool [] = [false]>}> : () -> !onnx.tensor<[], bool>
      %e, %m = "onnx.Dropout"(%d, %none, %f) : (!onnx.tensor<[2, 3], f32>, !onnx.none, !onnx.tensor<[], bool>) -> (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], bool>)
      %r = "onnx.Relu"(%e) : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
      "onnx.return"(%r) : (!onnx.tensor<[2, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "dropout"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>):
// CHECK-NOT: onnx.Dropout
// CHECK: "onnx.Relu"(%[[X]])

// -----

// _nofold: training mode (a graph input or a constant true), or a used mask.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "dropout_nofold", input_names = ["x", "t"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], bool>]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %t: !onnx.tensor<[], bool>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %d, %dm = "onnx.Dropout"(%x, %none, %t) : (!onnx.tensor<[2, 3], f32>, !onnx.none, !onnx.tensor<[], bool>) -> (!onnx.tensor<[2, 3], f32>, !onnx.none)
      %tr = "onnx.Constant"() <{value = #onnx.dense<bool [] = [true]>}> : () -> !onnx.tensor<[], bool>
      %e, %em = "onnx.Dropout"(%x, %none, %tr) : (!onnx.tensor<[2, 3], f32>, !onnx.none, !onnx.tensor<[], bool>) -> (!onnx.tensor<[2, 3], f32>, !onnx.none)
      %o, %m = "onnx.Dropout"(%x, %none, %none) : (!onnx.tensor<[2, 3], f32>, !onnx.none, !onnx.none) -> (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], bool>)
      "onnx.return"(%d, %e, %m) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], bool>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "dropout_nofold"
// CHECK-COUNT-3: "onnx.Dropout"

// -----

// Cast to the element type the input already has → its input (type from the value or its constant).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "cast", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>):
      %a = "onnx.Cast_v6"(%x) <{to = 1 : i64}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.any
      %k = "onnx.initializer"() <{name = "k", value = #onnx.dense<i64 [2] = [1, 2]>}> : () -> !onnx.any
      %b = "onnx.Cast_v6"(%k) <{to = 7 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a, %b) : (!onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "cast"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>):
// CHECK: %[[K:.*]] = "onnx.initializer"
// CHECK-NOT: onnx.Cast
// CHECK: "onnx.return"(%[[X]], %[[K]])

// -----

// _nofold: another element type, or an unknown input type.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "cast_nofold", input_names = ["x", "u"], output_names = ["y0", "y1"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %u: !onnx.any):
      %a = "onnx.Cast_v6"(%x) <{to = 10 : i64}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.any
      %b = "onnx.Cast_v6"(%u) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a, %b) : (!onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "cast_nofold"
// CHECK-COUNT-2: "onnx.Cast_v6"

// -----

// Transpose with the identity perm, or without perm on rank 1 → its input.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "transpose", input_names = ["x", "v"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[2, 3], f32>, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %v: !onnx.tensor<[4], f32>):
      %a = "onnx.Transpose"(%x) <{perm = array<i64: 0, 1>}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
      %b = "onnx.Transpose"(%v) : (!onnx.tensor<[4], f32>) -> !onnx.any
      "onnx.return"(%a, %b) : (!onnx.tensor<[2, 3], f32>, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "transpose"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>, %[[V:.*]]: !onnx.tensor<[4], f32>):
// CHECK-NOT: onnx.Transpose
// CHECK: "onnx.return"(%[[X]], %[[V]])

// -----

// _nofold: a real permutation, or no perm on rank 2 or unknown rank.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "transpose_nofold", input_names = ["x", "u"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.tensor<[3, 2], f32>, !onnx.tensor<[3, 2], f32>, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %u: !onnx.any):
      %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[3, 2], f32>
      %b = "onnx.Transpose"(%x) : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[3, 2], f32>
      %c = "onnx.Transpose"(%u) : (!onnx.any) -> !onnx.any
      "onnx.return"(%a, %b, %c) : (!onnx.tensor<[3, 2], f32>, !onnx.tensor<[3, 2], f32>, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "transpose_nofold"
// CHECK-COUNT-3: "onnx.Transpose"

// -----

// Concat of one input, Split into one output without sizes → the input.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "concat_split", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %c = "onnx.Concat"(%x) <{axis = 0 : i64}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
      %s = "onnx.Split"(%x, %none) <{axis = 1 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.none) -> !onnx.tensor<[2, 3], f32>
      "onnx.return"(%c, %s) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "concat_split"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>):
// CHECK-NOT: onnx.Concat
// CHECK-NOT: onnx.Split
// CHECK: "onnx.return"(%[[X]], %[[X]])

// -----

// Concat operands empty along the axis add nothing: dropped (Phi-3's cat(q_rot, q[..., D:]) with a whole-head
// rotation); with one operand left of the result's type, the Concat goes. An operand of unknown size stays.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "concat_empty", input_names = ["x", "e", "u"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.tensor<[b, 2, 4], f32>, !onnx.tensor<[b, 2, 8], f32>, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[b, 2, 4], f32>, %e: !onnx.tensor<[b, 2, 0], f32>, %u: !onnx.tensor<[b, 2, n], f32>):
      %c = "onnx.Concat"(%x, %e) <{axis = -1 : i64}> : (!onnx.tensor<[b, 2, 4], f32>, !onnx.tensor<[b, 2, 0], f32>) -> !onnx.tensor<[b, 2, 4], f32>
      %d = "onnx.Concat"(%x, %e, %x) <{axis = 2 : i64}> : (!onnx.tensor<[b, 2, 4], f32>, !onnx.tensor<[b, 2, 0], f32>, !onnx.tensor<[b, 2, 4], f32>) -> !onnx.tensor<[b, 2, 8], f32>
      %f = "onnx.Concat"(%x, %u) <{axis = 2 : i64}> : (!onnx.tensor<[b, 2, 4], f32>, !onnx.tensor<[b, 2, n], f32>) -> !onnx.any
      "onnx.return"(%c, %d, %f) : (!onnx.tensor<[b, 2, 4], f32>, !onnx.tensor<[b, 2, 8], f32>, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "concat_empty"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[b, 2, 4], f32>, %{{.*}}: !onnx.tensor<[b, 2, 0], f32>, %[[U:.*]]: !onnx.tensor<[b, 2, n], f32>):
// CHECK-NEXT: %[[D:.*]] = "onnx.Concat"(%[[X]], %[[X]]) <{axis = 2 : i64}>
// CHECK-NEXT: %[[F:.*]] = "onnx.Concat"(%[[X]], %[[U]]) <{axis = 2 : i64}>
// CHECK-NEXT: "onnx.return"(%[[X]], %[[D]], %[[F]])

// -----

// _nofold: Concat of two inputs, Split with sizes or into two outputs.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "concat_split_nofold", input_names = ["x"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.tensor<[4, 3], f32>, !onnx.tensor<[2, 3], f32>, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>):
      %k = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [3]>}> : () -> !onnx.tensor<[1], i64>
      %c = "onnx.Concat"(%x, %x) <{axis = 0 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[4, 3], f32>
      %s = "onnx.Split"(%x, %k) <{axis = 1 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[2, 3], f32>
      %none = "onnx.novalue"() : () -> !onnx.none
      %s1, %s2 = "onnx.Split"(%x, %none) <{axis = 0 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.none) -> (!onnx.any, !onnx.any)
      "onnx.return"(%c, %s, %s1) : (!onnx.tensor<[4, 3], f32>, !onnx.tensor<[2, 3], f32>, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "concat_split_nofold"
// CHECK: "onnx.Concat"
// CHECK-COUNT-2: "onnx.Split"

// -----

// Reshape to the input's own dims (static, or copying 0s / one -1 on symbolic dims); Expand to ones or equal dims.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "reshape_expand", input_names = ["x", "y"], output_names = ["y0", "y1", "y2", "y3"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %y: !onnx.tensor<[batch, 3], f32>):
      %s1 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [2, 3]>}> : () -> !onnx.tensor<[2], i64>
      %s2 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, 3]>}> : () -> !onnx.tensor<[2], i64>
      %s3 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [-1, 3]>}> : () -> !onnx.tensor<[2], i64>
      %e1 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [1, 3]>}> : () -> !onnx.tensor<[2], i64>
      %a = "onnx.Reshape"(%x, %s1) <{allowzero = 0 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %b = "onnx.Reshape"(%y, %s2) <{allowzero = 0 : i64}> : (!onnx.tensor<[batch, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %c = "onnx.Reshape"(%y, %s3) <{allowzero = 0 : i64}> : (!onnx.tensor<[batch, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %d = "onnx.Expand"(%y, %e1) : (!onnx.tensor<[batch, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      "onnx.return"(%a, %b, %c, %d) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "reshape_expand"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>, %[[Y:.*]]: !onnx.tensor<[batch, 3], f32>):
// CHECK-NOT: onnx.Reshape
// CHECK-NOT: onnx.Expand
// CHECK: "onnx.return"(%[[X]], %[[Y]], %[[Y]], %[[Y]])

// -----

// _nofold: other dims, a literal 0 (allowzero), a symbolic dim spelled out, a widening Expand, a non-constant shape.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "reshape_expand_nofold", input_names = ["x", "y", "s"], output_names = ["y0", "y1", "y2", "y3", "y4", "y5"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %y: !onnx.tensor<[batch, 3], f32>, %s: !onnx.tensor<[2], i64>):
      %s1 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [3, 2]>}> : () -> !onnx.tensor<[2], i64>
      %s2 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, 3]>}> : () -> !onnx.tensor<[2], i64>
      %s3 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [5, 3]>}> : () -> !onnx.tensor<[2], i64>
      %e1 = "onnx.Constant"() <{value = #onnx.dense<i64 [3] = [4, 2, 3]>}> : () -> !onnx.tensor<[3], i64>
      %e2 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [2, 3]>}> : () -> !onnx.tensor<[2], i64>
      %a = "onnx.Reshape"(%x, %s1) <{allowzero = 0 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %b = "onnx.Reshape"(%x, %s2) <{allowzero = 1 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %c = "onnx.Reshape"(%y, %s3) <{allowzero = 0 : i64}> : (!onnx.tensor<[batch, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %d = "onnx.Expand"(%x, %e1) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[3], i64>) -> !onnx.any
      %e = "onnx.Expand"(%y, %e2) : (!onnx.tensor<[batch, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %f = "onnx.Reshape"(%x, %s) <{allowzero = 0 : i64}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      "onnx.return"(%a, %b, %c, %d, %e, %f) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "reshape_expand_nofold"
// CHECK-COUNT-3: "onnx.Reshape"
// CHECK-COUNT-2: "onnx.Expand"
// CHECK: "onnx.Reshape"

// -----

// Squeeze without axes when no dim is 1; Unsqueeze with empty axes.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "squeeze_unsqueeze", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %a = "onnx.Squeeze"(%x, %none) : (!onnx.tensor<[2, 3], f32>, !onnx.none) -> !onnx.any
      %k = "onnx.Constant"() <{value = #onnx.dense<i64 [0] = []>}> : () -> !onnx.tensor<[0], i64>
      %b = "onnx.Unsqueeze"(%x, %k) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[0], i64>) -> !onnx.any
      "onnx.return"(%a, %b) : (!onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "squeeze_unsqueeze"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>):
// CHECK-NOT: onnx.Squeeze
// CHECK-NOT: onnx.Unsqueeze
// CHECK: "onnx.return"(%[[X]], %[[X]])

// -----

// _nofold: a symbolic dim (could be 1), a dim 1, explicit axes.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "squeeze_unsqueeze_nofold", input_names = ["y", "z", "x"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%y: !onnx.tensor<[batch, 3], f32>, %z: !onnx.tensor<[1, 3], f32>, %x: !onnx.tensor<[2, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %a = "onnx.Squeeze"(%y, %none) : (!onnx.tensor<[batch, 3], f32>, !onnx.none) -> !onnx.any
      %b = "onnx.Squeeze"(%z, %none) : (!onnx.tensor<[1, 3], f32>, !onnx.none) -> !onnx.any
      %k = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %c = "onnx.Unsqueeze"(%x, %k) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      "onnx.return"(%a, %b, %c) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "squeeze_unsqueeze_nofold"
// CHECK-COUNT-2: "onnx.Squeeze"
// CHECK: "onnx.Unsqueeze"

// -----

// Slice taking every axis whole with step 1 (INT64_MAX end on a symbolic dim); Pad with zero pads.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "slice_pad", input_names = ["x", "y"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %y: !onnx.tensor<[batch, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %z2 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, 0]>}> : () -> !onnx.tensor<[2], i64>
      %e2 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [2, 100]>}> : () -> !onnx.tensor<[2], i64>
      %z1 = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %big = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [9223372036854775807]>}> : () -> !onnx.tensor<[1], i64>
      %ax = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %one = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [1]>}> : () -> !onnx.tensor<[1], i64>
      %a = "onnx.Slice"(%x, %z2, %e2, %none, %none) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2], i64>, !onnx.tensor<[2], i64>, !onnx.none, !onnx.none) -> !onnx.any
      %b = "onnx.Slice"(%y, %z1, %big, %ax, %one) : (!onnx.tensor<[batch, 3], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.any
      %pads = "onnx.Constant"() <{value = #onnx.dense<i64 [4] = [0, 0, 0, 0]>}> : () -> !onnx.tensor<[4], i64>
      %c = "onnx.Pad"(%x, %pads, %none, %none) <{mode = "reflect"}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[4], i64>, !onnx.none, !onnx.none) -> !onnx.any
      "onnx.return"(%a, %b, %c) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "slice_pad"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3], f32>, %[[Y:.*]]: !onnx.tensor<[batch, 3], f32>):
// CHECK-NOT: onnx.Slice
// CHECK-NOT: onnx.Pad
// CHECK: "onnx.return"(%[[X]], %[[Y]], %[[X]])

// -----

// _nofold: a short end, a step 2, a finite end on a symbolic dim, non-zero pads.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "slice_pad_nofold", input_names = ["x", "y"], output_names = ["y0", "y1", "y2", "y3"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %y: !onnx.tensor<[batch, 3], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %z2 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, 0]>}> : () -> !onnx.tensor<[2], i64>
      %e2 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [2, 2]>}> : () -> !onnx.tensor<[2], i64>
      %z1 = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %e1 = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [100]>}> : () -> !onnx.tensor<[1], i64>
      %ax = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %two = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [2]>}> : () -> !onnx.tensor<[1], i64>
      %a = "onnx.Slice"(%x, %z2, %e2, %none, %none) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[2], i64>, !onnx.tensor<[2], i64>, !onnx.none, !onnx.none) -> !onnx.any
      %b = "onnx.Slice"(%x, %z1, %e1, %ax, %two) : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>) -> !onnx.any
      %c = "onnx.Slice"(%y, %z1, %e1, %ax, %none) : (!onnx.tensor<[batch, 3], f32>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.tensor<[1], i64>, !onnx.none) -> !onnx.any
      %pads = "onnx.Constant"() <{value = #onnx.dense<i64 [4] = [0, 1, 0, 0]>}> : () -> !onnx.tensor<[4], i64>
      %d = "onnx.Pad"(%x, %pads, %none, %none) <{mode = "constant"}> : (!onnx.tensor<[2, 3], f32>, !onnx.tensor<[4], i64>, !onnx.none, !onnx.none) -> !onnx.any
      "onnx.return"(%a, %b, %c, %d) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "slice_pad_nofold"
// CHECK-COUNT-3: "onnx.Slice"
// CHECK: "onnx.Pad"

// -----

// Transpose∘Transpose → one Transpose with the composed perm; a cancelling pair → x (also with an absent perm, made explicit from the rank).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "compose", input_names = ["x"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>):
      %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0, 2>}> : (!onnx.any) -> !onnx.any
      %c = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %d = "onnx.Transpose"(%c) <{perm = array<i64: 2, 0, 1>}> : (!onnx.any) -> !onnx.any
      %e = "onnx.Transpose"(%x) : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %f = "onnx.Transpose"(%e) : (!onnx.any) -> !onnx.any
      "onnx.return"(%b, %d, %f) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "compose"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3, 4], f32>):
// CHECK: %[[B:.*]] = "onnx.Transpose"(%[[X]]) <{perm = array<i64: 2, 1, 0>}>
// CHECK-NOT: "onnx.Transpose"
// CHECK: "onnx.return"(%[[B]], %[[X]], %[[X]])

// -----

// _nofold: the inner Transpose has another user and the pair does not cancel; absent perms of unknown rank.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "compose_nofold", input_names = ["x", "u"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %u: !onnx.any):
      %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0, 2>}> : (!onnx.any) -> !onnx.any
      %c = "onnx.Transpose"(%u) : (!onnx.any) -> !onnx.any
      %d = "onnx.Transpose"(%c) : (!onnx.any) -> !onnx.any
      "onnx.return"(%a, %b, %d) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "compose_nofold"
// CHECK: %[[A:.*]] = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}>
// CHECK: "onnx.Transpose"(%[[A]]) <{perm = array<i64: 1, 0, 2>}>
// CHECK: %[[C:.*]] = "onnx.Transpose"(%u)
// CHECK: "onnx.Transpose"(%[[C]])

// -----

// Reshape of Reshape/Flatten/Squeeze/Unsqueeze reads x when the outer shape is a constant without 0s (or allowzero=1).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "merge_reshapes", input_names = ["x", "s", "z"], output_names = ["y0", "y1", "y2", "y3", "y4"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2], i64>, %z: !onnx.tensor<[1, 0, 4], f32>):
      %k6 = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [6, 4]>}> : () -> !onnx.tensor<[2], i64>
      %k24 = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [24]>}> : () -> !onnx.tensor<[1], i64>
      %km = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [-1, 2]>}> : () -> !onnx.tensor<[2], i64>
      %kz = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [4, 0]>}> : () -> !onnx.tensor<[2], i64>
      %ax = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %a = "onnx.Reshape"(%x, %s) <{allowzero = 0 : i64}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[2], i64>) -> !onnx.any
      %b = "onnx.Reshape"(%a, %k6) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %c = "onnx.Flatten"(%x) <{axis = 1 : i64}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %d = "onnx.Reshape"(%c, %k24) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[1], i64>) -> !onnx.any
      %e = "onnx.Unsqueeze"(%x, %ax) : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      %f = "onnx.Reshape"(%e, %km) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %none = "onnx.novalue"() : () -> !onnx.none
      %g = "onnx.Squeeze"(%z, %ax) : (!onnx.tensor<[1, 0, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      %h = "onnx.Reshape"(%g, %kz) <{allowzero = 1 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %j = "onnx.Reshape"(%x, %k24) <{allowzero = 0 : i64}> : (!onnx.tensor<[2, 3, 4], f32>, !onnx.tensor<[1], i64>) -> !onnx.any
      "onnx.return"(%b, %d, %f, %h, %j) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "merge_reshapes"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[2, 3, 4], f32>, %{{.*}}: !onnx.tensor<[2], i64>, %[[Z:.*]]: !onnx.tensor<[1, 0, 4], f32>):
// CHECK-NOT: "onnx.Flatten"
// CHECK-NOT: "onnx.Squeeze"
// CHECK-NOT: "onnx.Unsqueeze"
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK: "onnx.Reshape"(%[[Z]], %{{.*}}) <{allowzero = 1 : i64}>
// CHECK: "onnx.Reshape"(%[[X]], %{{.*}})
// CHECK-NOT: "onnx.Reshape"

// -----

// _nofold: a copying 0 in the outer shape, a non-constant outer shape, an inner op that is not a reshape.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "merge_reshapes_nofold", input_names = ["x", "s"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>, %s: !onnx.tensor<[2], i64>):
      %kz = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, 12]>}> : () -> !onnx.tensor<[2], i64>
      %k24 = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [24]>}> : () -> !onnx.tensor<[1], i64>
      %a = "onnx.Flatten"(%x) <{axis = 1 : i64}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %b = "onnx.Reshape"(%a, %kz) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %c = "onnx.Flatten"(%x) <{axis = 2 : i64}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %d = "onnx.Reshape"(%c, %s) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[2], i64>) -> !onnx.any
      %e = "onnx.Transpose"(%x) <{perm = array<i64: 2, 1, 0>}> : (!onnx.tensor<[2, 3, 4], f32>) -> !onnx.any
      %f = "onnx.Reshape"(%e, %k24) <{allowzero = 0 : i64}> : (!onnx.any, !onnx.tensor<[1], i64>) -> !onnx.any
      "onnx.return"(%b, %d, %f) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "merge_reshapes_nofold"
// CHECK: %[[A:.*]] = "onnx.Flatten"
// CHECK: "onnx.Reshape"(%[[A]]
// CHECK: %[[C:.*]] = "onnx.Flatten"
// CHECK: "onnx.Reshape"(%[[C]]
// CHECK: %[[E:.*]] = "onnx.Transpose"
// CHECK: "onnx.Reshape"(%[[E]]

// -----

// Through an exact wider type: back to the source type → x; to a third type → one Cast (type from the value or its constant).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts", input_names = ["h", "b", "i", "p"], output_names = ["y0", "y1", "y2", "y3", "y4"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%h: !onnx.tensor<[2], f16>, %b: !onnx.tensor<[2], bf16>, %i: !onnx.tensor<[2], i8>, %p: !onnx.tensor<[2], bool>):
      %a1 = "onnx.Cast_v6"(%h) <{to = 1 : i64}> : (!onnx.tensor<[2], f16>) -> !onnx.any
      %a2 = "onnx.Cast_v6"(%a1) <{to = 10 : i64}> : (!onnx.any) -> !onnx.any
      %b1 = "onnx.Cast_v6"(%b) <{to = 1 : i64}> : (!onnx.tensor<[2], bf16>) -> !onnx.any
      %b2 = "onnx.Cast_v6"(%b1) <{to = 11 : i64}> : (!onnx.any) -> !onnx.any
      %c1 = "onnx.Cast_v6"(%i) <{to = 6 : i64}> : (!onnx.tensor<[2], i8>) -> !onnx.any
      %c2 = "onnx.Cast_v6"(%c1) <{to = 3 : i64}> : (!onnx.any) -> !onnx.any
      %d1 = "onnx.Cast_v6"(%p) <{to = 7 : i64}> : (!onnx.tensor<[2], bool>) -> !onnx.any
      %d2 = "onnx.Cast_v6"(%d1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      %k = "onnx.Constant"() <{value = #onnx.dense<i32 [2] = [1, 2]>}> : () -> !onnx.any
      %e1 = "onnx.Cast_v6"(%k) <{to = 7 : i64}> : (!onnx.any) -> !onnx.any
      %e2 = "onnx.Cast_v6"(%e1) <{to = 6 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2, %b2, %c2, %d2, %e2) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts"
// CHECK: ^bb0(%[[H:.*]]: !onnx.tensor<[2], f16>, %[[B:.*]]: !onnx.tensor<[2], bf16>, %[[I:.*]]: !onnx.tensor<[2], i8>, %[[P:.*]]: !onnx.tensor<[2], bool>):
// CHECK: %[[B2:.*]] = "onnx.Cast_v6"(%[[B]]) <{to = 11 : i64}>
// CHECK: %[[D2:.*]] = "onnx.Cast_v6"(%[[P]]) <{to = 1 : i64}>
// CHECK: %[[K:.*]] = "onnx.Constant"
// CHECK-NOT: "onnx.Cast_v6"
// CHECK: "onnx.return"(%[[H]], %[[B2]], %[[I]], %[[D2]], %[[K]])

// -----

// _nofold: f32→f16→f32, float→int→float, int64→int32→int64, through bool, unknown source type.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts_nofold", input_names = ["f", "l", "i", "u"], output_names = ["y0", "y1", "y2", "y3", "y4"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%f: !onnx.tensor<[2], f32>, %l: !onnx.tensor<[2], i64>, %i: !onnx.tensor<[2], i32>, %u: !onnx.any):
      %a1 = "onnx.Cast_v6"(%f) <{to = 10 : i64}> : (!onnx.tensor<[2], f32>) -> !onnx.any
      %a2 = "onnx.Cast_v6"(%a1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      %b1 = "onnx.Cast_v6"(%f) <{to = 6 : i64}> : (!onnx.tensor<[2], f32>) -> !onnx.any
      %b2 = "onnx.Cast_v6"(%b1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      %c1 = "onnx.Cast_v6"(%l) <{to = 6 : i64}> : (!onnx.tensor<[2], i64>) -> !onnx.any
      %c2 = "onnx.Cast_v6"(%c1) <{to = 7 : i64}> : (!onnx.any) -> !onnx.any
      %d1 = "onnx.Cast_v6"(%i) <{to = 9 : i64}> : (!onnx.tensor<[2], i32>) -> !onnx.any
      %d2 = "onnx.Cast_v6"(%d1) <{to = 6 : i64}> : (!onnx.any) -> !onnx.any
      %e1 = "onnx.Cast_v6"(%u) <{to = 11 : i64}> : (!onnx.any) -> !onnx.any
      %e2 = "onnx.Cast_v6"(%e1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2, %b2, %c2, %d2, %e2) : (!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts_nofold"
// CHECK-COUNT-10: "onnx.Cast_v6"

// -----

// The same on Cast-19 (saturate attribute): i8→i16→f32 → one Cast keeping the outer attributes.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 19 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts_v19", input_names = ["i"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%i: !onnx.tensor<[2], i8>):
      %a1 = "onnx.Cast_v19"(%i) <{to = 5 : i64, saturate = 1 : i64}> : (!onnx.tensor<[2], i8>) -> !onnx.any
      %a2 = "onnx.Cast_v19"(%a1) <{to = 1 : i64, saturate = 0 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts_v19"
// CHECK: "onnx.Cast_v19"(%i) <{to = 1 : i64, saturate = 0 : i64}>
// CHECK-NOT: "onnx.Cast_v19"

// -----

// _nofold: u8→i8 is not exact (i8 cannot hold 200).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 19 : i64}}> ({
    "onnx.graph"() <{name = "fold_casts_v19_nofold", input_names = ["i"], output_names = ["y0"], output_types = [!onnx.any]}> ({
    ^bb0(%i: !onnx.tensor<[2], u8>):
      %a1 = "onnx.Cast_v19"(%i) <{to = 3 : i64}> : (!onnx.tensor<[2], u8>) -> !onnx.any
      %a2 = "onnx.Cast_v19"(%a1) <{to = 1 : i64}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%a2) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "fold_casts_v19_nofold"
// CHECK-COUNT-2: "onnx.Cast_v19"

// -----

// VALID → NOTSET with zero pads: Conv (rank from kernel_shape, or from the weight) and AveragePool.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "valid", input_names = ["x", "w"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[1, 3, 8, 8], f32>, %w: !onnx.tensor<[4, 3, 3, 3], f32>):
      %b = "onnx.novalue"() : () -> !onnx.none
      %a = "onnx.Conv"(%x, %w, %b) <{auto_pad = "VALID", kernel_shape = array<i64: 3, 3>}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[4, 3, 3, 3], f32>, !onnx.none) -> !onnx.any
      %c = "onnx.Conv"(%x, %w, %b) <{auto_pad = "VALID"}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[4, 3, 3, 3], f32>, !onnx.none) -> !onnx.any
      %p = "onnx.AveragePool"(%x) <{auto_pad = "VALID", kernel_shape = array<i64: 2, 2>}> : (!onnx.tensor<[1, 3, 8, 8], f32>) -> !onnx.any
      "onnx.return"(%a, %c, %p) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "valid"
// CHECK: "onnx.Conv"({{.*}}) <{auto_pad = "NOTSET", kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>}>
// CHECK: "onnx.Conv"({{.*}}) <{auto_pad = "NOTSET", pads = array<i64: 0, 0, 0, 0>}>
// CHECK: "onnx.AveragePool"({{.*}}) <{auto_pad = "NOTSET", kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>}>

// -----

// _nofuse: SAME_UPPER (pads depend on the input size) and a Conv whose spatial rank is unknown stay as they are.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "valid_nofuse", input_names = ["x", "w"], output_names = ["y0", "y1"], output_types = [!onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.any, %w: !onnx.any):
      %b = "onnx.novalue"() : () -> !onnx.none
      %a = "onnx.Conv"(%x, %w, %b) <{auto_pad = "SAME_UPPER", kernel_shape = array<i64: 3, 3>}> : (!onnx.any, !onnx.any, !onnx.none) -> !onnx.any
      %c = "onnx.Conv"(%x, %w, %b) <{auto_pad = "VALID"}> : (!onnx.any, !onnx.any, !onnx.none) -> !onnx.any
      "onnx.return"(%a, %c) : (!onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "valid_nofuse"
// CHECK: "onnx.Conv"({{.*}}) <{auto_pad = "SAME_UPPER", kernel_shape = array<i64: 3, 3>}>
// CHECK: "onnx.Conv"({{.*}}) <{auto_pad = "VALID"}>

// -----

// A zero constant-mode Pad of the spatial dims, read only by a Conv, is folded into the Conv's pads.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "pad_into_conv", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[1, 3, 8, 8], f32>, %w: !onnx.tensor<[4, 3, 3, 3], f32>):
      %b = "onnx.novalue"() : () -> !onnx.none
      %p = "onnx.Constant"() <{value = #onnx.dense<i64 [8] = [0, 0, 1, 0, 0, 0, 1, 2]>}> : () -> !onnx.tensor<[8], i64>
      %z = "onnx.Constant"() <{value = #onnx.dense<f32 [] = [0.0]>}> : () -> !onnx.tensor<[], f32>
      %xp = "onnx.Pad_v11"(%x, %p, %z) <{mode = "constant"}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[8], i64>, !onnx.tensor<[], f32>) -> !onnx.any
      %y = "onnx.Conv"(%xp, %w, %b) <{kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>}> : (!onnx.any, !onnx.tensor<[4, 3, 3, 3], f32>, !onnx.none) -> !onnx.any
      "onnx.return"(%y) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "pad_into_conv"
// CHECK-NOT: "onnx.Pad
// CHECK: "onnx.Conv"(%x, %w, %{{.*}}) <{kernel_shape = array<i64: 3, 3>, pads = array<i64: 2, 1, 2, 3>}>

// -----

// _nofuse: a non-zero pad value, a Pad of the channel dim, and reflect mode stay.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "pad_into_conv_nofuse", input_names = ["x", "w"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[1, 3, 8, 8], f32>, %w: !onnx.tensor<[4, 3, 3, 3], f32>):
      %b = "onnx.novalue"() : () -> !onnx.none
      %p = "onnx.Constant"() <{value = #onnx.dense<i64 [8] = [0, 0, 1, 1, 0, 0, 1, 1]>}> : () -> !onnx.tensor<[8], i64>
      %pc = "onnx.Constant"() <{value = #onnx.dense<i64 [8] = [0, 1, 1, 1, 0, 0, 1, 1]>}> : () -> !onnx.tensor<[8], i64>
      %one = "onnx.Constant"() <{value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %a = "onnx.Pad_v11"(%x, %p, %one) <{mode = "constant"}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[8], i64>, !onnx.tensor<[], f32>) -> !onnx.any
      %ya = "onnx.Conv"(%a, %w, %b) <{kernel_shape = array<i64: 3, 3>}> : (!onnx.any, !onnx.tensor<[4, 3, 3, 3], f32>, !onnx.none) -> !onnx.any
      %c = "onnx.Pad_v11"(%x, %pc, %b) <{mode = "constant"}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[8], i64>, !onnx.none) -> !onnx.any
      %yc = "onnx.Conv"(%c, %w, %b) <{kernel_shape = array<i64: 3, 3>}> : (!onnx.any, !onnx.tensor<[4, 3, 3, 3], f32>, !onnx.none) -> !onnx.any
      %r = "onnx.Pad_v11"(%x, %p, %b) <{mode = "reflect"}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[8], i64>, !onnx.none) -> !onnx.any
      %yr = "onnx.Conv"(%r, %w, %b) <{kernel_shape = array<i64: 3, 3>}> : (!onnx.any, !onnx.tensor<[4, 3, 3, 3], f32>, !onnx.none) -> !onnx.any
      "onnx.return"(%ya, %yc, %yr) : (!onnx.any, !onnx.any, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "pad_into_conv_nofuse"
// CHECK-COUNT-3: "onnx.Pad_v11"

// -----

// Exact neutral elements: x·1, 1·x, x - 0, x / 1, x + (-0.0) and integer x + 0 are x, bit for bit.
// x + (+0.0) on floats is not (-0.0 + 0.0 = +0.0): onnx-fold-neutral-elements (class 1) takes it.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "neutral_exact", input_names = ["x", "i"], output_names = ["y", "z", "w"], output_types = [!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], i64>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 4], f32>, %i: !onnx.tensor<[4], i64>):
      %g = "onnx.initializer"() <{name = "g", value = #onnx.dense<f32 [4] = [1.0, 1.0, 1.0, 1.0]>}> : () -> !onnx.tensor<[4], f32>
      %nz = "onnx.initializer"() <{name = "nz", value = #onnx.dense<f32 [4] = [-0.0, -0.0, -0.0, -0.0]>}> : () -> !onnx.tensor<[4], f32>
      %pz = "onnx.initializer"() <{name = "pz", value = #onnx.dense<f32 [4] = [0.0, 0.0, 0.0, 0.0]>}> : () -> !onnx.tensor<[4], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %iz = "onnx.initializer"() <{name = "iz", value = #onnx.dense<i64 [1] = [0]>}> : () -> !onnx.tensor<[1], i64>
      %m = "onnx.Mul"(%g, %x) : (!onnx.tensor<[4], f32>, !onnx.tensor<[batch, 4], f32>) -> !onnx.tensor<[batch, 4], f32>
      %a = "onnx.Add"(%m, %nz) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32>
      %s = "onnx.Sub"(%a, %pz) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32>
      %y = "onnx.Div"(%s, %one) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 4], f32>
      %z = "onnx.Add"(%x, %pz) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32>
      %w = "onnx.Add"(%iz, %i) : (!onnx.tensor<[1], i64>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[4], i64>
      "onnx.return"(%y, %z, %w) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], i64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "neutral_exact"
// CHECK-NOT:     "onnx.Mul"
// CHECK-NOT:     "onnx.Sub"
// CHECK-NOT:     "onnx.Div"
// CHECK:         %[[Z:.*]] = "onnx.Add"(%x, %pz)
// CHECK-NOT:     "onnx.Add"
// CHECK:         "onnx.return"(%x, %[[Z]], %i)

// -----

// Logical neutral elements: m ∧ True and False ∨ m are m (a mask builder's new_ones & mask); True ∧ m that
// broadcasts m larger is not.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "neutral_logical", input_names = ["m"], output_names = ["y", "z"], output_types = [!onnx.tensor<[batch, 4], bool>, !onnx.tensor<[2, batch, 4], bool>]}> ({
    ^bb0(%m: !onnx.tensor<[batch, 4], bool>):
      %t = "onnx.initializer"() <{name = "t", value = #onnx.dense<bool [4] = [true, true, true, true]>}> : () -> !onnx.tensor<[4], bool>
      %f = "onnx.initializer"() <{name = "f", value = #onnx.dense<bool [] = [false]>}> : () -> !onnx.tensor<[], bool>
      %tt = "onnx.initializer"() <{name = "tt", value = #onnx.dense<bool [2, 1, 4] = [true, true, true, true, true, true, true, true]>}> : () -> !onnx.tensor<[2, 1, 4], bool>
      %a = "onnx.And"(%m, %t) : (!onnx.tensor<[batch, 4], bool>, !onnx.tensor<[4], bool>) -> !onnx.tensor<[batch, 4], bool>
      %y = "onnx.Or"(%f, %a) : (!onnx.tensor<[], bool>, !onnx.tensor<[batch, 4], bool>) -> !onnx.tensor<[batch, 4], bool>
      %z = "onnx.And"(%tt, %m) : (!onnx.tensor<[2, 1, 4], bool>, !onnx.tensor<[batch, 4], bool>) -> !onnx.tensor<[2, batch, 4], bool>
      "onnx.return"(%y, %z) : (!onnx.tensor<[batch, 4], bool>, !onnx.tensor<[2, batch, 4], bool>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "neutral_logical"
// CHECK-NOT:     "onnx.Or"
// CHECK:         %[[Z:.*]] = "onnx.And"(%tt, %m)
// CHECK:         "onnx.return"(%m, %[[Z]])

