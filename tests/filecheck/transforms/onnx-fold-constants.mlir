// RUN: xdsl-opt %s -p onnx-fold-constants --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-fold-constants,onnx-fold-constants --split-input-file | filecheck %s
// The size cap is an option: with 64 KiB, the Expand below folds too.
// RUN: xdsl-opt %s -p 'onnx-fold-constants{max-bytes=65536}' --split-input-file | filecheck %s --check-prefix=BIG

// Shape arithmetic on int64 constants folds to one initializer named after the last result;
// the Reshape of the graph input stays, and the dead constants go.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "shape_arith", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[6, 4], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3, 4], f32>):
      %dims = "onnx.initializer"() <{name = "dims", value = #onnx.dense<i64 [3] = [2, 3, 4]>}> : () -> !onnx.tensor<[3], i64>
      %i0 = "onnx.Constant"() <{value = #onnx.dense<i64 [] = [0]>}> {onnx.names = ["i0"]} : () -> !onnx.any
      %i1 = "onnx.Constant"() <{value_int = 1 : i64}> {onnx.names = ["i1"]} : () -> !onnx.any
      %a = "onnx.Gather"(%dims, %i0) <{axis = 0 : i64}> {onnx.names = ["a"]} : (!onnx.tensor<[3], i64>, !onnx.any) -> !onnx.any
      %b = "onnx.Gather"(%dims, %i1) <{axis = 0 : i64}> {onnx.names = ["b"]} : (!onnx.tensor<[3], i64>, !onnx.any) -> !onnx.any
      %ab = "onnx.Mul"(%a, %b) {onnx.names = ["ab"]} : (!onnx.any, !onnx.any) -> !onnx.any
      %axes = "onnx.Constant"() <{value = #onnx.dense<i64 [1] = [0]>}> {onnx.names = ["axes"]} : () -> !onnx.any
      %ab1 = "onnx.Unsqueeze"(%ab, %axes) {onnx.names = ["ab1"]} : (!onnx.any, !onnx.any) -> !onnx.any
      %last = "onnx.Constant"() <{value_ints = array<i64: -1>}> {onnx.names = ["last"]} : () -> !onnx.any
      %shape = "onnx.Concat"(%ab1, %last) <{axis = 0 : i64}> {onnx.names = ["shape"]} : (!onnx.any, !onnx.any) -> !onnx.any
      %y = "onnx.Reshape"(%x, %shape) {onnx.names = ["y"]} : (!onnx.tensor<[2, 3, 4], f32>, !onnx.any) -> !onnx.tensor<[6, 4], f32>
      "onnx.return"(%y) : (!onnx.tensor<[6, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "shape_arith"
// CHECK-NOT:     "onnx.Constant"
// CHECK-NOT:     "onnx.Gather"
// CHECK:         %[[S:.*]] = "onnx.initializer"() <{name = "shape", value = #onnx.dense<i64 [2] = [6, -1]>}> : () -> !onnx.tensor<[2], i64>
// CHECK-NEXT:    %[[Y:.*]] = "onnx.Reshape"(%{{.*}}, %[[S]])
// CHECK-NEXT:    "onnx.return"(%[[Y]])
// BIG-LABEL:   name = "shape_arith"
// BIG:           "onnx.initializer"() <{name = "shape"

// -----

// A Constant becomes an initializer with its name; a Cast of it folds; a result that is a graph
// output folds too (the output keeps its name).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "constant_and_cast", input_names = ["x"], output_names = ["y", "c"], output_types = [!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>):
      %k = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [2, 3]>}> {onnx.names = ["k"]} : () -> !onnx.any
      %h = "onnx.Constant"() <{value = #onnx.dense<f32 [2] = [0.5, 1.5]>}> {onnx.names = ["h"]} : () -> !onnx.any
      %kf = "onnx.Cast"(%k) <{to = 1 : i64}> {onnx.names = ["kf"]} : (!onnx.any) -> !onnx.any
      %y = "onnx.Add"(%x, %h) {onnx.names = ["y"]} : (!onnx.tensor<[2], f32>, !onnx.any) -> !onnx.tensor<[2], f32>
      "onnx.return"(%y, %kf) : (!onnx.tensor<[2], f32>, !onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "constant_and_cast"
// CHECK:         %[[H:.*]] = "onnx.initializer"() <{name = "h", value = #onnx.dense<f32 [2] = [0.5, 1.5]>}> : () -> !onnx.tensor<[2], f32>
// CHECK:         %[[KF:.*]] = "onnx.initializer"() <{name = "kf", value = #onnx.dense<f32 [2] = [2.0, 3.0]>}> : () -> !onnx.tensor<[2], f32>
// CHECK-NOT:     "onnx.Cast"
// CHECK:         %[[Y:.*]] = "onnx.Add"(%{{.*}}, %[[H]])
// CHECK:         "onnx.return"(%[[Y]], %[[KF]])

// -----

// Transpose of a weight only it uses: 1040 bytes > max-bytes, but the input dies with it (same
// bytes), so it folds: MatMul weights get pre-transposed.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "transpose_weight", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[3, 2], f64>]}> ({
    ^bb0(%x: !onnx.tensor<[3, 65], f64>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f64 [2, 65] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0, 64.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -9.0, -10.0, -11.0, -12.0, -13.0, -14.0, -15.0, -16.0, -17.0, -18.0, -19.0, -20.0, -21.0, -22.0, -23.0, -24.0, -25.0, -26.0, -27.0, -28.0, -29.0, -30.0, -31.0, -32.0, -33.0, -34.0, -35.0, -36.0, -37.0, -38.0, -39.0, -40.0, -41.0, -42.0, -43.0, -44.0, -45.0, -46.0, -47.0, -48.0, -49.0, -50.0, -51.0, -52.0, -53.0, -54.0, -55.0, -56.0, -57.0, -58.0, -59.0, -60.0, -61.0, -62.0, -63.0, -64.0, -65.0]>}> : () -> !onnx.tensor<[2, 65], f64>
      %wt = "onnx.Transpose"(%w) <{perm = array<i64: 1, 0>}> {onnx.names = ["wt"]} : (!onnx.tensor<[2, 65], f64>) -> !onnx.tensor<[65, 2], f64>
      %y = "onnx.MatMul"(%x, %wt) {onnx.names = ["y"]} : (!onnx.tensor<[3, 65], f64>, !onnx.tensor<[65, 2], f64>) -> !onnx.tensor<[3, 2], f64>
      "onnx.return"(%y) : (!onnx.tensor<[3, 2], f64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "transpose_weight"
// CHECK-NOT:     name = "w"
// CHECK:         %[[WT:.*]] = "onnx.initializer"() <{name = "wt", value = #onnx.dense<f64 [65, 2] = elided>}> : () -> !onnx.tensor<[65, 2], f64>
// CHECK-NOT:     "onnx.Transpose"
// CHECK:         "onnx.MatMul"(%{{.*}}, %[[WT]])

// -----

// _nofold twin: the weight has another user, so it would not die and the 1040-byte result stays an op.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "transpose_weight_nofold", input_names = ["x"], output_names = ["y", "w2"], output_types = [!onnx.tensor<[3, 2], f64>, !onnx.tensor<[2, 65], f64>]}> ({
    ^bb0(%x: !onnx.tensor<[3, 65], f64>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f64 [2, 65] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0, 64.0, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0, -8.0, -9.0, -10.0, -11.0, -12.0, -13.0, -14.0, -15.0, -16.0, -17.0, -18.0, -19.0, -20.0, -21.0, -22.0, -23.0, -24.0, -25.0, -26.0, -27.0, -28.0, -29.0, -30.0, -31.0, -32.0, -33.0, -34.0, -35.0, -36.0, -37.0, -38.0, -39.0, -40.0, -41.0, -42.0, -43.0, -44.0, -45.0, -46.0, -47.0, -48.0, -49.0, -50.0, -51.0, -52.0, -53.0, -54.0, -55.0, -56.0, -57.0, -58.0, -59.0, -60.0, -61.0, -62.0, -63.0, -64.0, -65.0]>}> : () -> !onnx.tensor<[2, 65], f64>
      %wt = "onnx.Transpose"(%w) <{perm = array<i64: 1, 0>}> {onnx.names = ["wt"]} : (!onnx.tensor<[2, 65], f64>) -> !onnx.tensor<[65, 2], f64>
      %y = "onnx.MatMul"(%x, %wt) {onnx.names = ["y"]} : (!onnx.tensor<[3, 65], f64>, !onnx.tensor<[65, 2], f64>) -> !onnx.tensor<[3, 2], f64>
      %w2 = "onnx.Neg"(%w) {onnx.names = ["w2"]} : (!onnx.tensor<[2, 65], f64>) -> !onnx.tensor<[2, 65], f64>
      "onnx.return"(%y, %w2) : (!onnx.tensor<[3, 2], f64>, !onnx.tensor<[2, 65], f64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "transpose_weight_nofold"
// CHECK:         "onnx.initializer"() <{name = "w"
// CHECK:         "onnx.Transpose"
// CHECK:         "onnx.Neg"

// -----

// _nofold: Expand of tiny inputs to a 16 KiB tensor stays under the default cap; it is estimated,
// not evaluated. The ops it would have freed stay too.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "expand_nofold", input_names = [], output_names = ["y"], output_types = [!onnx.tensor<[64, 64], f32>]}> ({
      %s = "onnx.initializer"() <{name = "s", value = #onnx.dense<f32 [1] = [1.0]>}> : () -> !onnx.tensor<[1], f32>
      %shape = "onnx.initializer"() <{name = "shape", value = #onnx.dense<i64 [2] = [64, 64]>}> : () -> !onnx.tensor<[2], i64>
      %y = "onnx.Expand"(%s, %shape) {onnx.names = ["y"]} : (!onnx.tensor<[1], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[64, 64], f32>
      "onnx.return"(%y) : (!onnx.tensor<[64, 64], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "expand_nofold"
// CHECK:         "onnx.initializer"() <{name = "s"
// CHECK:         "onnx.initializer"() <{name = "shape"
// CHECK:         "onnx.Expand"
// BIG-LABEL:   name = "expand_nofold"
// BIG-NOT:       "onnx.Expand"
// BIG:           "onnx.initializer"() <{name = "y", value = #onnx.dense<f32 [64, 64] = elided>}>
// BIG-NOT:       "onnx.Expand"

// -----

// _nofold: random ops (even of constant inputs), an op reading a graph input's default initializer
// (the caller may override it), and other domains stay.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64, "com.example" = 1 : i64}}> ({
    "onnx.graph"() <{name = "misc_nofold", input_names = ["d"], output_names = ["r", "u", "e", "p"], output_types = [!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>]}> ({
    ^bb0(%d: !onnx.tensor<[2], f32>):
      %def = "onnx.initializer"() <{name = "d", value = #onnx.dense<f32 [2] = [0.0, 0.0]>}> : () -> !onnx.tensor<[2], f32>
      %k = "onnx.initializer"() <{name = "k", value = #onnx.dense<f32 [2] = [1.0, 2.0]>}> : () -> !onnx.tensor<[2], f32>
      %r = "onnx.RandomNormal"() <{shape = array<i64: 2>}> {onnx.names = ["r"]} : () -> !onnx.tensor<[2], f32>
      %u = "onnx.RandomUniformLike"(%k) {onnx.names = ["u"]} : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %e = "onnx.Add"(%def, %k) {onnx.names = ["e"]} : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %p = "onnx.custom"(%k) <{domain = "com.example", op_type = "Probe", attrs = {}, graph_attrs = []}> {onnx.names = ["p"]} : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%r, %u, %e, %p) : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "misc_nofold"
// CHECK:         "onnx.RandomNormal"
// CHECK:         "onnx.RandomUniformLike"
// CHECK:         "onnx.Add"
// CHECK:         "onnx.custom"

// -----

// A subgraph op reading outer constants folds into an initializer of the subgraph; the outer
// initializer it alone used goes. (A value the branch returns directly is left alone: see the
// _nofold twin below.)
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "subgraph", input_names = ["b", "x"], output_names = ["y"], output_types = [!onnx.tensor<[2], i64>]}> ({
    ^bb0(%b: !onnx.tensor<[], bool>, %x: !onnx.tensor<[2], i64>):
      %k = "onnx.initializer"() <{name = "k", value = #onnx.dense<i64 [2] = [1, 2]>}> : () -> !onnx.tensor<[2], i64>
      %y = "onnx.If"(%b) ({
        "onnx.graph"() <{name = "then", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2], i64>]}> ({
          %t0 = "onnx.Add"(%k, %k) {onnx.names = ["t0"]} : (!onnx.tensor<[2], i64>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[2], i64>
          %t = "onnx.Add"(%t0, %x) {onnx.names = ["t"]} : (!onnx.tensor<[2], i64>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[2], i64>
          "onnx.return"(%t) : (!onnx.tensor<[2], i64>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "else", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2], i64>]}> ({
          %e = "onnx.Identity"(%x) {onnx.names = ["e"]} : (!onnx.tensor<[2], i64>) -> !onnx.tensor<[2], i64>
          "onnx.return"(%e) : (!onnx.tensor<[2], i64>) -> ()
        }) : () -> ()
      }) {onnx.names = ["y"]} : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2], i64>
      "onnx.return"(%y) : (!onnx.tensor<[2], i64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "subgraph"
// CHECK-NOT:     name = "k"
// CHECK:         "onnx.If"
// CHECK:         name = "then"
// CHECK-NEXT:      %[[T0:.*]] = "onnx.initializer"() <{name = "t0", value = #onnx.dense<i64 [2] = [2, 4]>}>
// CHECK-NEXT:      %[[T:.*]] = "onnx.Add"(%[[T0]], %x)
// CHECK-NEXT:      "onnx.return"(%[[T]])
// CHECK:         name = "else"
// CHECK-NEXT:      "onnx.Identity"
