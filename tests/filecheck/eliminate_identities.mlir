// RUN: forgec %s --passes=onnx-eliminate-identities --emit=ir --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: forgec %s --passes=onnx-eliminate-identities,onnx-eliminate-identities --emit=ir --split-input-file | filecheck %s

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
