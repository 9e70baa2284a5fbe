// RUN: xdsl-opt %s -p onnx-simplify-index-grids,onnx-eliminate-dead --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p onnx-simplify-index-grids,onnx-eliminate-dead,onnx-simplify-index-grids,onnx-eliminate-dead --split-input-file | filecheck %s

// transformers 5's padding_mask[batch_idx, kv_idx]: ramps over both axes of the mask, stacked → the mask unsqueezed.
"builtin.module"() ({
"onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
  "onnx.graph"() <{name = "grid", input_names = ["mask"], output_names = ["out"], output_types = [!onnx.tensor<[batch, 1, 1, keys], bool>]}> ({
  ^bb0(%0: !onnx.tensor<[batch, keys], i64>):
    %1 = "onnx.novalue"() : () -> !onnx.none
    %2 = "onnx.initializer"() <{name = "zero", value = #onnx.dense<i64 [] = [0], name "zero">}> : () -> !onnx.tensor<[], i64>
    %3 = "onnx.initializer"() <{name = "one", value = #onnx.dense<i64 [] = [1], name "one">}> : () -> !onnx.tensor<[], i64>
    %4 = "onnx.initializer"() <{name = "i0", value = #onnx.dense<i64 [1] = [0], name "i0">}> : () -> !onnx.tensor<[1], i64>
    %5 = "onnx.initializer"() <{name = "i1", value = #onnx.dense<i64 [1] = [1], name "i1">}> : () -> !onnx.tensor<[1], i64>
    %6 = "onnx.initializer"() <{name = "start_b", value = #onnx.dense<i64 [] = [0], name "start_b">}> : () -> !onnx.tensor<[], i64>
    %7 = "onnx.initializer"() <{name = "step_b", value = #onnx.dense<i64 [] = [1], name "step_b">}> : () -> !onnx.tensor<[], i64>
    %8 = "onnx.initializer"() <{name = "g_b_axes", value = #onnx.dense<i64 [3] = [1, 2, 3], name "g_b_axes">}> : () -> !onnx.tensor<[3], i64>
    %9 = "onnx.initializer"() <{name = "start_k", value = #onnx.dense<i64 [] = [0], name "start_k">}> : () -> !onnx.tensor<[], i64>
    %10 = "onnx.initializer"() <{name = "step_k", value = #onnx.dense<i64 [] = [1], name "step_k">}> : () -> !onnx.tensor<[], i64>
    %11 = "onnx.initializer"() <{name = "g_k_axes", value = #onnx.dense<i64 [3] = [0, 1, 2], name "g_k_axes">}> : () -> !onnx.tensor<[3], i64>
    %12 = "onnx.initializer"() <{name = "p_b_axes", value = #onnx.dense<i64 [1] = [-1], name "p_b_axes">}> : () -> !onnx.tensor<[1], i64>
    %13 = "onnx.initializer"() <{name = "p_k_axes", value = #onnx.dense<i64 [1] = [-1], name "p_k_axes">}> : () -> !onnx.tensor<[1], i64>
    %14 = "onnx.Shape"(%0) {onnx.names = ["shape"]} : (!onnx.tensor<[batch, keys], i64>) -> !onnx.tensor<[2], i64>
    %15 = "onnx.Cast_v6"(%0) <{to = 9 : i64}> {onnx.names = ["flags"]} : (!onnx.tensor<[batch, keys], i64>) -> !onnx.tensor<[batch, keys], bool>
    %16 = "onnx.Gather"(%14, %4) <{axis = 0 : i64}> {onnx.names = ["n_b1"]} : (!onnx.tensor<[2], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1], i64>
    %17 = "onnx.Squeeze"(%16, %1) {onnx.names = ["n_b"]} : (!onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[], i64>
    %18 = "onnx.Range_v11"(%6, %17, %7) {onnx.names = ["r_b"]} : (!onnx.tensor<[], i64>, !onnx.tensor<[], i64>, !onnx.tensor<[], i64>) -> !onnx.tensor<[batch], i64>
    %19 = "onnx.Unsqueeze"(%18, %8) {onnx.names = ["g_b"]} : (!onnx.tensor<[batch], i64>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[batch, 1, 1, 1], i64>
    %20 = "onnx.Gather"(%14, %5) <{axis = 0 : i64}> {onnx.names = ["n_k1"]} : (!onnx.tensor<[2], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1], i64>
    %21 = "onnx.Squeeze"(%20, %1) {onnx.names = ["n_k"]} : (!onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[], i64>
    %22 = "onnx.Range_v11"(%9, %21, %10) {onnx.names = ["r_k"]} : (!onnx.tensor<[], i64>, !onnx.tensor<[], i64>, !onnx.tensor<[], i64>) -> !onnx.tensor<[keys], i64>
    %23 = "onnx.Unsqueeze"(%22, %11) {onnx.names = ["g_k"]} : (!onnx.tensor<[keys], i64>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[1, 1, 1, keys], i64>
    %24 = "onnx.Max"(%19, %23) {onnx.names = ["both"]} : (!onnx.tensor<[batch, 1, 1, 1], i64>, !onnx.tensor<[1, 1, 1, keys], i64>) -> !onnx.tensor<[batch, 1, 1, keys], i64>
    %25 = "onnx.Shape"(%24) {onnx.names = ["grid_shape"]} : (!onnx.tensor<[batch, 1, 1, keys], i64>) -> !onnx.tensor<[4], i64>
    %26 = "onnx.Expand"(%19, %25) {onnx.names = ["e_b"]} : (!onnx.tensor<[batch, 1, 1, 1], i64>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[batch, 1, 1, keys], i64>
    %27 = "onnx.Unsqueeze"(%26, %12) {onnx.names = ["p_b"]} : (!onnx.tensor<[batch, 1, 1, keys], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1, 1, keys, 1], i64>
    %28 = "onnx.Expand"(%23, %25) {onnx.names = ["e_k"]} : (!onnx.tensor<[1, 1, 1, keys], i64>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[batch, 1, 1, keys], i64>
    %29 = "onnx.Unsqueeze"(%28, %13) {onnx.names = ["p_k"]} : (!onnx.tensor<[batch, 1, 1, keys], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1, 1, keys, 1], i64>
    %30 = "onnx.Concat"(%27, %29) <{axis = -1 : i64}> {onnx.names = ["grid"]} : (!onnx.tensor<[batch, 1, 1, keys, 1], i64>, !onnx.tensor<[batch, 1, 1, keys, 1], i64>) -> !onnx.tensor<[batch, 1, 1, keys, 2], i64>
    %31 = "onnx.GatherND"(%15, %30) {onnx.names = ["gathered"]} : (!onnx.tensor<[batch, keys], bool>, !onnx.tensor<[batch, 1, 1, keys, 2], i64>) -> !onnx.tensor<[batch, 1, 1, keys], bool>
    %32 = "onnx.Not"(%31) {onnx.names = ["out"]} : (!onnx.tensor<[batch, 1, 1, keys], bool>) -> !onnx.tensor<[batch, 1, 1, keys], bool>
    "onnx.return"(%32) : (!onnx.tensor<[batch, 1, 1, keys], bool>) -> ()
  }) : () -> ()
}) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "grid"
// CHECK: %[[FLAGS:.*]] = "onnx.Cast_v6"
// CHECK-NOT: "onnx.Range
// CHECK-NOT: "onnx.GatherND"
// CHECK: %[[U:.*]] = "onnx.Unsqueeze"(%[[FLAGS]], %{{.*}}) {{.*}} -> !onnx.tensor<[batch, 1, 1, keys], bool>
// CHECK: "onnx.Not"(%[[U]])

// -----

// mask[k, b]: the ramps out of order are a transpose, not an unsqueeze: the GatherND stays.
"builtin.module"() ({
"onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
  "onnx.graph"() <{name = "grid_swapped", input_names = ["mask"], output_names = ["out"], output_types = [!onnx.tensor<[batch, 1, 1, keys], bool>]}> ({
  ^bb0(%0: !onnx.tensor<[batch, keys], i64>):
    %1 = "onnx.novalue"() : () -> !onnx.none
    %2 = "onnx.initializer"() <{name = "zero", value = #onnx.dense<i64 [] = [0], name "zero">}> : () -> !onnx.tensor<[], i64>
    %3 = "onnx.initializer"() <{name = "one", value = #onnx.dense<i64 [] = [1], name "one">}> : () -> !onnx.tensor<[], i64>
    %4 = "onnx.initializer"() <{name = "i0", value = #onnx.dense<i64 [1] = [0], name "i0">}> : () -> !onnx.tensor<[1], i64>
    %5 = "onnx.initializer"() <{name = "i1", value = #onnx.dense<i64 [1] = [1], name "i1">}> : () -> !onnx.tensor<[1], i64>
    %6 = "onnx.initializer"() <{name = "start_b", value = #onnx.dense<i64 [] = [0], name "start_b">}> : () -> !onnx.tensor<[], i64>
    %7 = "onnx.initializer"() <{name = "step_b", value = #onnx.dense<i64 [] = [1], name "step_b">}> : () -> !onnx.tensor<[], i64>
    %8 = "onnx.initializer"() <{name = "g_b_axes", value = #onnx.dense<i64 [3] = [1, 2, 3], name "g_b_axes">}> : () -> !onnx.tensor<[3], i64>
    %9 = "onnx.initializer"() <{name = "start_k", value = #onnx.dense<i64 [] = [0], name "start_k">}> : () -> !onnx.tensor<[], i64>
    %10 = "onnx.initializer"() <{name = "step_k", value = #onnx.dense<i64 [] = [1], name "step_k">}> : () -> !onnx.tensor<[], i64>
    %11 = "onnx.initializer"() <{name = "g_k_axes", value = #onnx.dense<i64 [3] = [0, 1, 2], name "g_k_axes">}> : () -> !onnx.tensor<[3], i64>
    %12 = "onnx.initializer"() <{name = "p_b_axes", value = #onnx.dense<i64 [1] = [-1], name "p_b_axes">}> : () -> !onnx.tensor<[1], i64>
    %13 = "onnx.initializer"() <{name = "p_k_axes", value = #onnx.dense<i64 [1] = [-1], name "p_k_axes">}> : () -> !onnx.tensor<[1], i64>
    %14 = "onnx.Shape"(%0) {onnx.names = ["shape"]} : (!onnx.tensor<[batch, keys], i64>) -> !onnx.tensor<[2], i64>
    %15 = "onnx.Cast_v6"(%0) <{to = 9 : i64}> {onnx.names = ["flags"]} : (!onnx.tensor<[batch, keys], i64>) -> !onnx.tensor<[batch, keys], bool>
    %16 = "onnx.Gather"(%14, %4) <{axis = 0 : i64}> {onnx.names = ["n_b1"]} : (!onnx.tensor<[2], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1], i64>
    %17 = "onnx.Squeeze"(%16, %1) {onnx.names = ["n_b"]} : (!onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[], i64>
    %18 = "onnx.Range_v11"(%6, %17, %7) {onnx.names = ["r_b"]} : (!onnx.tensor<[], i64>, !onnx.tensor<[], i64>, !onnx.tensor<[], i64>) -> !onnx.tensor<[batch], i64>
    %19 = "onnx.Unsqueeze"(%18, %8) {onnx.names = ["g_b"]} : (!onnx.tensor<[batch], i64>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[batch, 1, 1, 1], i64>
    %20 = "onnx.Gather"(%14, %5) <{axis = 0 : i64}> {onnx.names = ["n_k1"]} : (!onnx.tensor<[2], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[1], i64>
    %21 = "onnx.Squeeze"(%20, %1) {onnx.names = ["n_k"]} : (!onnx.tensor<[1], i64>, !onnx.none) -> !onnx.tensor<[], i64>
    %22 = "onnx.Range_v11"(%9, %21, %10) {onnx.names = ["r_k"]} : (!onnx.tensor<[], i64>, !onnx.tensor<[], i64>, !onnx.tensor<[], i64>) -> !onnx.tensor<[keys], i64>
    %23 = "onnx.Unsqueeze"(%22, %11) {onnx.names = ["g_k"]} : (!onnx.tensor<[keys], i64>, !onnx.tensor<[3], i64>) -> !onnx.tensor<[1, 1, 1, keys], i64>
    %24 = "onnx.Max"(%19, %23) {onnx.names = ["both"]} : (!onnx.tensor<[batch, 1, 1, 1], i64>, !onnx.tensor<[1, 1, 1, keys], i64>) -> !onnx.tensor<[batch, 1, 1, keys], i64>
    %25 = "onnx.Shape"(%24) {onnx.names = ["grid_shape"]} : (!onnx.tensor<[batch, 1, 1, keys], i64>) -> !onnx.tensor<[4], i64>
    %26 = "onnx.Expand"(%19, %25) {onnx.names = ["e_b"]} : (!onnx.tensor<[batch, 1, 1, 1], i64>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[batch, 1, 1, keys], i64>
    %27 = "onnx.Unsqueeze"(%26, %12) {onnx.names = ["p_b"]} : (!onnx.tensor<[batch, 1, 1, keys], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1, 1, keys, 1], i64>
    %28 = "onnx.Expand"(%23, %25) {onnx.names = ["e_k"]} : (!onnx.tensor<[1, 1, 1, keys], i64>, !onnx.tensor<[4], i64>) -> !onnx.tensor<[batch, 1, 1, keys], i64>
    %29 = "onnx.Unsqueeze"(%28, %13) {onnx.names = ["p_k"]} : (!onnx.tensor<[batch, 1, 1, keys], i64>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[batch, 1, 1, keys, 1], i64>
    %30 = "onnx.Concat"(%29, %27) <{axis = -1 : i64}> {onnx.names = ["grid"]} : (!onnx.tensor<[batch, 1, 1, keys, 1], i64>, !onnx.tensor<[batch, 1, 1, keys, 1], i64>) -> !onnx.tensor<[batch, 1, 1, keys, 2], i64>
    %31 = "onnx.GatherND"(%15, %30) {onnx.names = ["gathered"]} : (!onnx.tensor<[batch, keys], bool>, !onnx.tensor<[batch, 1, 1, keys, 2], i64>) -> !onnx.tensor<[batch, 1, 1, keys], bool>
    %32 = "onnx.Not"(%31) {onnx.names = ["out"]} : (!onnx.tensor<[batch, 1, 1, keys], bool>) -> !onnx.tensor<[batch, 1, 1, keys], bool>
    "onnx.return"(%32) : (!onnx.tensor<[batch, 1, 1, keys], bool>) -> ()
  }) : () -> ()
}) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "grid_swapped"
// CHECK: "onnx.GatherND"

// -----

// Unsqueeze(Unsqueeze(x, [1]), [0, 3]) = Unsqueeze(x, [0, 2, 3]).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "chain", input_names = ["x"], output_names = ["out"], output_types = [!onnx.tensor<[1, a, 1, 1, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[a, 3], f32>):
      %a1 = "onnx.initializer"() <{name = "a1", value = #onnx.dense<i64 [1] = [1], name "a1">}> : () -> !onnx.tensor<[1], i64>
      %a2 = "onnx.initializer"() <{name = "a2", value = #onnx.dense<i64 [2] = [0, 3], name "a2">}> : () -> !onnx.tensor<[2], i64>
      %u1 = "onnx.Unsqueeze"(%x, %a1) {onnx.names = ["u1"]} : (!onnx.tensor<[a, 3], f32>, !onnx.tensor<[1], i64>) -> !onnx.tensor<[a, 1, 3], f32>
      %u2 = "onnx.Unsqueeze"(%u1, %a2) {onnx.names = ["out"]} : (!onnx.tensor<[a, 1, 3], f32>, !onnx.tensor<[2], i64>) -> !onnx.tensor<[1, a, 1, 1, 3], f32>
      "onnx.return"(%u2) : (!onnx.tensor<[1, a, 1, 1, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "chain"
// CHECK-NOT: "onnx.Unsqueeze"
// CHECK: %[[AXES:.*]] = "onnx.initializer"() <{name = "unsqueeze_axes", value = #onnx.dense<i64 [3] = [0, 2, 3]
// CHECK-NEXT: "onnx.Unsqueeze"(%x, %[[AXES]])
// CHECK-NOT: "onnx.Unsqueeze"
