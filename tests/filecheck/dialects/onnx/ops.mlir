// RUN: xdsl-opt %s --split-input-file | filecheck %s
// Node names (locations) print with --print-debuginfo.
// RUN: xdsl-opt %s --split-input-file --print-debuginfo | filecheck %s --check-prefix=LOC
//
// onnx dialect ops parsed and printed back. The CHECK lines are the whole printed model, line for
// line, written in the same syntax as the input: the printed form is the input form, so it parses back.

// The model and graph ops: ModelProto fields, an inline and an elided initializer, a sparse initializer kept
// as a verbatim proto, a Constant, ONNX result names (onnx.names), the non-tensor value types.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, com.microsoft = 1 : i64}, producer_name = "pytorch", producer_version = "2.5.0", domain = "ai.example", model_version = 3 : i64, doc_string = "a test model", metadata_props = {author = "me"}}> ({
    "onnx.graph"() <{name = "main", input_names = ["x", "s", "o"], output_names = ["y", "c", "s_out", "o_out"], output_types = [!onnx.tensor<[batch, 4], f32>, !onnx.any, !onnx.seq<!onnx.tensor<*, f32>>, !onnx.opt<!onnx.tensor<[?], i64>>], doc_string = "main graph"}> ({
    ^bb0(%x: !onnx.tensor<[batch, 4], f32>, %s: !onnx.seq<!onnx.tensor<*, f32>>, %o: !onnx.opt<!onnx.tensor<[?], i64>>):
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0], name "w">}> : () -> !onnx.tensor<[4], f32>
      %big = "onnx.initializer"() <{name = "big", value = #onnx.dense<f32 [1024, 1024] = elided, name "big">}> : () -> !onnx.tensor<[1024, 1024], f32>
      %sp = "onnx.initializer"() <{name = "sp", value = #onnx.proto<"SparseTensorProto", "0x0a0e08011001420273764a040000803f">}> : () -> !onnx.sparse_tensor<[2, 2], f32>
      %c = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, -1]>}> {onnx.names = ["c"]} : () -> !onnx.tensor<[2], i64> loc("const")
      %y = "onnx.Mul"(%x, %w) {onnx.names = ["y"]} : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32> loc("/layer/Mul")
      "onnx.return"(%y, %c, %s, %o) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[2], i64>, !onnx.seq<!onnx.tensor<*, f32>>, !onnx.opt<!onnx.tensor<[?], i64>>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:        "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, com.microsoft = 1 : i64}, producer_name = "pytorch", producer_version = "2.5.0", domain = "ai.example", model_version = 3 : i64, doc_string = "a test model", metadata_props = {author = "me"}}> ({
// CHECK-NEXT:     "onnx.graph"() <{name = "main", input_names = ["x", "s", "o"], output_names = ["y", "c", "s_out", "o_out"], output_types = [!onnx.tensor<[batch, 4], f32>, !onnx.any, !onnx.seq<!onnx.tensor<*, f32>>, !onnx.opt<!onnx.tensor<[?], i64>>], doc_string = "main graph"}> ({
// CHECK-NEXT:     ^bb0(%x: !onnx.tensor<[batch, 4], f32>, %s: !onnx.seq<!onnx.tensor<*, f32>>, %o: !onnx.opt<!onnx.tensor<[?], i64>>):
// CHECK-NEXT:       %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [4] = [1.0, 2.0, 3.0, 4.0], name "w">}> : () -> !onnx.tensor<[4], f32>
// CHECK-NEXT:       %big = "onnx.initializer"() <{name = "big", value = #onnx.dense<f32 [1024, 1024] = elided, name "big">}> : () -> !onnx.tensor<[1024, 1024], f32>
// CHECK-NEXT:       %sp = "onnx.initializer"() <{name = "sp", value = #onnx.proto<"SparseTensorProto", "0x0a0e08011001420273764a040000803f">}> : () -> !onnx.sparse_tensor<[2, 2], f32>
// CHECK-NEXT:       %c = "onnx.Constant"() <{value = #onnx.dense<i64 [2] = [0, -1]>}> {onnx.names = ["c"]} : () -> !onnx.tensor<[2], i64>
// CHECK-NEXT:       %y = "onnx.Mul"(%x, %w) {onnx.names = ["y"]} : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[4], f32>) -> !onnx.tensor<[batch, 4], f32>
// CHECK-NEXT:       "onnx.return"(%y, %c, %s, %o) : (!onnx.tensor<[batch, 4], f32>, !onnx.tensor<[2], i64>, !onnx.seq<!onnx.tensor<*, f32>>, !onnx.opt<!onnx.tensor<[?], i64>>) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()
// LOC:       %c = "onnx.Constant"{{.*}} loc("const")
// LOC:       %y = "onnx.Mul"{{.*}} loc("/layer/Mul")

// -----

// Default-domain ops with attributes: Conv (pads, strides, kernel_shape), Gemm (alpha, transB) with its
// optional C absent, Resize with absent roi and scales, Split with two results, variadic Concat,
// Cast_v6's `to` (Cast of opsets 6-13), Constant's value_ints.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "attributes", input_names = ["x", "a"], output_names = ["conv", "gemm", "resize", "s0", "s1", "cat", "cast", "ints"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[1, 3, 8, 8], f32>, %a: !onnx.tensor<[m, 4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 3, 3, 3] = elided>}> : () -> !onnx.tensor<[2, 3, 3, 3], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2] = [0.5, -0.5]>}> : () -> !onnx.tensor<[2], f32>
      %bm = "onnx.initializer"() <{name = "bm", value = #onnx.dense<f32 [5, 4] = elided>}> : () -> !onnx.tensor<[5, 4], f32>
      %sizes = "onnx.initializer"() <{name = "sizes", value = #onnx.dense<i64 [4] = [1, 3, 16, 16]>}> : () -> !onnx.tensor<[4], i64>
      %split = "onnx.initializer"() <{name = "split", value = #onnx.dense<i64 [2] = [1, 3]>}> : () -> !onnx.tensor<[2], i64>
      %conv = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[2, 3, 3, 3], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[1, 2, 4, 4], f32>
      %gemm = "onnx.Gemm"(%a, %bm, %none) <{alpha = 5.000000e-01 : f32, transB = 1 : i64}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[m, 5], f32>
      %resize = "onnx.Resize"(%x, %none, %none, %sizes) <{mode = "nearest", coordinate_transformation_mode = "asymmetric"}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.none, !onnx.none, !onnx.tensor<[4], i64>) -> !onnx.tensor<[1, 3, 16, 16], f32>
      %s0, %s1 = "onnx.Split"(%a, %split) <{axis = 1 : i64}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[2], i64>) -> (!onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 3], f32>)
      %cat = "onnx.Concat"(%s1, %s0, %s1) <{axis = -1 : i64}> : (!onnx.tensor<[m, 3], f32>, !onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 3], f32>) -> !onnx.tensor<[m, 7], f32>
      %cast = "onnx.Cast_v6"(%cat) <{to = 10 : i64}> : (!onnx.tensor<[m, 7], f32>) -> !onnx.tensor<[m, 7], f16>
      %ints = "onnx.Constant"() <{value_ints = array<i64: 1, 2>}> : () -> !onnx.tensor<[2], i64>
      "onnx.return"(%conv, %gemm, %resize, %s0, %s1, %cat, %cast, %ints) : (!onnx.tensor<[1, 2, 4, 4], f32>, !onnx.tensor<[m, 5], f32>, !onnx.tensor<[1, 3, 16, 16], f32>, !onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 3], f32>, !onnx.tensor<[m, 7], f32>, !onnx.tensor<[m, 7], f16>, !onnx.tensor<[2], i64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:        "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
// CHECK-NEXT:     "onnx.graph"() <{name = "attributes", input_names = ["x", "a"], output_names = ["conv", "gemm", "resize", "s0", "s1", "cat", "cast", "ints"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
// CHECK-NEXT:     ^bb0(%x: !onnx.tensor<[1, 3, 8, 8], f32>, %a: !onnx.tensor<[m, 4], f32>):
// CHECK-NEXT:       %none = "onnx.novalue"() : () -> !onnx.none
// CHECK-NEXT:       %w = "onnx.initializer"() <{name = "w", value = #onnx.dense<f32 [2, 3, 3, 3] = elided>}> : () -> !onnx.tensor<[2, 3, 3, 3], f32>
// CHECK-NEXT:       %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [2] = [0.5, -0.5]>}> : () -> !onnx.tensor<[2], f32>
// CHECK-NEXT:       %bm = "onnx.initializer"() <{name = "bm", value = #onnx.dense<f32 [5, 4] = elided>}> : () -> !onnx.tensor<[5, 4], f32>
// CHECK-NEXT:       %sizes = "onnx.initializer"() <{name = "sizes", value = #onnx.dense<i64 [4] = [1, 3, 16, 16]>}> : () -> !onnx.tensor<[4], i64>
// CHECK-NEXT:       %split = "onnx.initializer"() <{name = "split", value = #onnx.dense<i64 [2] = [1, 3]>}> : () -> !onnx.tensor<[2], i64>
// CHECK-NEXT:       %conv = "onnx.Conv"(%x, %w, %b) <{kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.tensor<[2, 3, 3, 3], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[1, 2, 4, 4], f32>
// CHECK-NEXT:       %gemm = "onnx.Gemm"(%a, %bm, %none) <{alpha = 5.000000e-01 : f32, transB = 1 : i64}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[5, 4], f32>, !onnx.none) -> !onnx.tensor<[m, 5], f32>
// CHECK-NEXT:       %resize = "onnx.Resize"(%x, %none, %none, %sizes) <{mode = "nearest", coordinate_transformation_mode = "asymmetric"}> : (!onnx.tensor<[1, 3, 8, 8], f32>, !onnx.none, !onnx.none, !onnx.tensor<[4], i64>) -> !onnx.tensor<[1, 3, 16, 16], f32>
// CHECK-NEXT:       %s0, %s1 = "onnx.Split"(%a, %split) <{axis = 1 : i64}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[2], i64>) -> (!onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 3], f32>)
// CHECK-NEXT:       %cat = "onnx.Concat"(%s1, %s0, %s1) <{axis = -1 : i64}> : (!onnx.tensor<[m, 3], f32>, !onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 3], f32>) -> !onnx.tensor<[m, 7], f32>
// CHECK-NEXT:       %cast = "onnx.Cast_v6"(%cat) <{to = 10 : i64}> : (!onnx.tensor<[m, 7], f32>) -> !onnx.tensor<[m, 7], f16>
// CHECK-NEXT:       %ints = "onnx.Constant"() <{value_ints = array<i64: 1, 2>}> : () -> !onnx.tensor<[2], i64>
// CHECK-NEXT:       "onnx.return"(%conv, %gemm, %resize, %s0, %s1, %cat, %cast, %ints) : (!onnx.tensor<[1, 2, 4, 4], f32>, !onnx.tensor<[m, 5], f32>, !onnx.tensor<[1, 3, 16, 16], f32>, !onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 3], f32>, !onnx.tensor<[m, 7], f32>, !onnx.tensor<[m, 7], f16>, !onnx.tensor<[2], i64>) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()

// -----

// Old opset forms are their own ops: Squeeze_v1 (axes attribute, opset < 13), Constant_v11 (opset 11),
// Add_v6 (limited broadcast attributes) and Split_v2 (split sizes as an attribute).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 6 : i64, opset_import = {"" = 11 : i64}}> ({
    "onnx.graph"() <{name = "old_opsets", input_names = ["x", "v"], output_names = ["sq", "p0", "p1", "add"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[1, 4, 1], f32>, %v: !onnx.tensor<[4], f32>):
      %sq = "onnx.Squeeze_v1"(%x) <{axes = array<i64: 0, 2>}> : (!onnx.tensor<[1, 4, 1], f32>) -> !onnx.tensor<[4], f32>
      %k = "onnx.Constant_v11"() <{value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %p0, %p1 = "onnx.Split_v2"(%v) <{axis = 0 : i64, split = array<i64: 1, 3>}> : (!onnx.tensor<[4], f32>) -> (!onnx.tensor<[1], f32>, !onnx.tensor<[3], f32>)
      %add = "onnx.Add_v6"(%v, %k) <{broadcast = 1 : i64}> : (!onnx.tensor<[4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[4], f32>
      "onnx.return"(%sq, %p0, %p1, %add) : (!onnx.tensor<[4], f32>, !onnx.tensor<[1], f32>, !onnx.tensor<[3], f32>, !onnx.tensor<[4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:        "onnx.model"() <{ir_version = 6 : i64, opset_import = {"" = 11 : i64}}> ({
// CHECK-NEXT:     "onnx.graph"() <{name = "old_opsets", input_names = ["x", "v"], output_names = ["sq", "p0", "p1", "add"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
// CHECK-NEXT:     ^bb0(%x: !onnx.tensor<[1, 4, 1], f32>, %v: !onnx.tensor<[4], f32>):
// CHECK-NEXT:       %sq = "onnx.Squeeze_v1"(%x) <{axes = array<i64: 0, 2>}> : (!onnx.tensor<[1, 4, 1], f32>) -> !onnx.tensor<[4], f32>
// CHECK-NEXT:       %k = "onnx.Constant_v11"() <{value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
// CHECK-NEXT:       %p0, %p1 = "onnx.Split_v2"(%v) <{axis = 0 : i64, split = array<i64: 1, 3>}> : (!onnx.tensor<[4], f32>) -> (!onnx.tensor<[1], f32>, !onnx.tensor<[3], f32>)
// CHECK-NEXT:       %add = "onnx.Add_v6"(%v, %k) <{broadcast = 1 : i64}> : (!onnx.tensor<[4], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[4], f32>
// CHECK-NEXT:       "onnx.return"(%sq, %p0, %p1, %add) : (!onnx.tensor<[4], f32>, !onnx.tensor<[1], f32>, !onnx.tensor<[3], f32>, !onnx.tensor<[4], f32>) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()

// -----

// Ops of other domains are onnx.custom: com.microsoft FusedMatMul with its attributes,
// SkipLayerNormalization with two results and its beta input absent, and an op with a graph attribute
// (one region per name in graph_attrs).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, com.microsoft = 1 : i64, com.example = 2 : i64}}> ({
    "onnx.graph"() <{name = "custom", input_names = ["a", "b", "g"], output_names = ["fm", "sln", "mean", "app"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
    ^bb0(%a: !onnx.tensor<[m, 4], f32>, %b: !onnx.tensor<[m, 4], f32>, %g: !onnx.tensor<[4], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %fm = "onnx.custom"(%a, %b) <{domain = "com.microsoft", op_type = "FusedMatMul", attrs = {alpha = 2.000000e+00 : f32, transB = 1 : i64}, graph_attrs = []}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 4], f32>) -> !onnx.tensor<[m, m], f32>
      %sln, %mean = "onnx.custom"(%a, %b, %g, %none) <{domain = "com.microsoft", op_type = "SkipLayerNormalization", attrs = {epsilon = 1.000000e-05 : f32}, graph_attrs = []}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none) -> (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 1], f32>)
      %app = "onnx.custom"(%a) <{domain = "com.example", op_type = "Apply", attrs = {mode = "fast", sizes = array<i64: 2, 2>}, graph_attrs = ["fn"]}> ({
        "onnx.graph"() <{name = "fn_body", input_names = ["t"], output_names = ["u"], output_types = [!onnx.any]}> ({
        ^bb0(%t: !onnx.tensor<[m, 4], f32>):
          %u = "onnx.Relu"(%t) : (!onnx.tensor<[m, 4], f32>) -> !onnx.tensor<[m, 4], f32>
          "onnx.return"(%u) : (!onnx.tensor<[m, 4], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.tensor<[m, 4], f32>) -> !onnx.tensor<[m, 4], f32>
      "onnx.return"(%fm, %sln, %mean, %app) : (!onnx.tensor<[m, m], f32>, !onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 4], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:        "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, com.microsoft = 1 : i64, com.example = 2 : i64}}> ({
// CHECK-NEXT:     "onnx.graph"() <{name = "custom", input_names = ["a", "b", "g"], output_names = ["fm", "sln", "mean", "app"], output_types = [!onnx.any, !onnx.any, !onnx.any, !onnx.any]}> ({
// CHECK-NEXT:     ^bb0(%a: !onnx.tensor<[m, 4], f32>, %b: !onnx.tensor<[m, 4], f32>, %g: !onnx.tensor<[4], f32>):
// CHECK-NEXT:       %none = "onnx.novalue"() : () -> !onnx.none
// CHECK-NEXT:       %fm = "onnx.custom"(%a, %b) <{domain = "com.microsoft", op_type = "FusedMatMul", attrs = {alpha = 2.000000e+00 : f32, transB = 1 : i64}, graph_attrs = []}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 4], f32>) -> !onnx.tensor<[m, m], f32>
// CHECK-NEXT:       %sln, %mean = "onnx.custom"(%a, %b, %g, %none) <{domain = "com.microsoft", op_type = "SkipLayerNormalization", attrs = {epsilon = 1.000000e-05 : f32}, graph_attrs = []}> : (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 4], f32>, !onnx.tensor<[4], f32>, !onnx.none) -> (!onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 1], f32>)
// CHECK-NEXT:       %app = "onnx.custom"(%a) <{domain = "com.example", op_type = "Apply", attrs = {mode = "fast", sizes = array<i64: 2, 2>}, graph_attrs = ["fn"]}> ({
// CHECK-NEXT:         "onnx.graph"() <{name = "fn_body", input_names = ["t"], output_names = ["u"], output_types = [!onnx.any]}> ({
// CHECK-NEXT:         ^bb0(%t: !onnx.tensor<[m, 4], f32>):
// CHECK-NEXT:           %u = "onnx.Relu"(%t) : (!onnx.tensor<[m, 4], f32>) -> !onnx.tensor<[m, 4], f32>
// CHECK-NEXT:           "onnx.return"(%u) : (!onnx.tensor<[m, 4], f32>) -> ()
// CHECK-NEXT:         }) : () -> ()
// CHECK-NEXT:       }) : (!onnx.tensor<[m, 4], f32>) -> !onnx.tensor<[m, 4], f32>
// CHECK-NEXT:       "onnx.return"(%fm, %sln, %mean, %app) : (!onnx.tensor<[m, m], f32>, !onnx.tensor<[m, 4], f32>, !onnx.tensor<[m, 1], f32>, !onnx.tensor<[m, 4], f32>) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()

// -----

// If: two subgraph regions (else_branch then then_branch, in schema order), each an onnx.graph without inputs
// that uses a value of the enclosing graph directly.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "if", input_names = ["x", "cond"], output_names = ["r"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>, %cond: !onnx.tensor<[], bool>):
      %r = "onnx.If"(%cond) ({
        "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
          %e = "onnx.Neg"(%x) : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
          "onnx.return"(%e) : (!onnx.tensor<[2, 3], f32>) -> ()
        }) : () -> ()
      }, {
        "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
          %t = "onnx.Relu"(%x) : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
          "onnx.return"(%t) : (!onnx.tensor<[2, 3], f32>) -> ()
        }) : () -> ()
      }) {onnx.names = ["r"]} : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2, 3], f32> loc("if")
      "onnx.return"(%r) : (!onnx.tensor<[2, 3], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:        "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
// CHECK-NEXT:     "onnx.graph"() <{name = "if", input_names = ["x", "cond"], output_names = ["r"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
// CHECK-NEXT:     ^bb0(%x: !onnx.tensor<[2, 3], f32>, %cond: !onnx.tensor<[], bool>):
// CHECK-NEXT:       %r = "onnx.If"(%cond) ({
// CHECK-NEXT:         "onnx.graph"() <{name = "else_body", input_names = [], output_names = ["e"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
// CHECK-NEXT:           %e = "onnx.Neg"(%x) : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
// CHECK-NEXT:           "onnx.return"(%e) : (!onnx.tensor<[2, 3], f32>) -> ()
// CHECK-NEXT:         }) : () -> ()
// CHECK-NEXT:       }, {
// CHECK-NEXT:         "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["t"], output_types = [!onnx.tensor<[2, 3], f32>]}> ({
// CHECK-NEXT:           %t = "onnx.Relu"(%x) : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
// CHECK-NEXT:           "onnx.return"(%t) : (!onnx.tensor<[2, 3], f32>) -> ()
// CHECK-NEXT:         }) : () -> ()
// CHECK-NEXT:       }) {onnx.names = ["r"]} : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2, 3], f32>
// CHECK-NEXT:       "onnx.return"(%r) : (!onnx.tensor<[2, 3], f32>) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()
// LOC:       }) {onnx.names = ["r"]} : (!onnx.tensor<[], bool>) -> !onnx.tensor<[2, 3], f32> loc("if")

// -----

// Loop: the trip count M absent, a loop-carried value, and a body graph with (iteration, cond, carried) inputs.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "loop", input_names = ["cond", "init", "step"], output_names = ["final"], output_types = [!onnx.any]}> ({
    ^bb0(%cond: !onnx.tensor<[], bool>, %init: !onnx.tensor<[2], f32>, %step: !onnx.tensor<[2], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %final = "onnx.Loop"(%none, %cond, %init) ({
        "onnx.graph"() <{name = "loop_body", input_names = ["i", "cond_in", "acc_in"], output_names = ["cond_out", "acc_out"], output_types = [!onnx.tensor<[], bool>, !onnx.tensor<[2], f32>]}> ({
        ^bb0(%i: !onnx.tensor<[], i64>, %cond_in: !onnx.tensor<[], bool>, %acc_in: !onnx.tensor<[2], f32>):
          %acc_out = "onnx.Add"(%acc_in, %step) : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
          %cond_out = "onnx.Identity"(%cond_in) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[], bool>
          "onnx.return"(%cond_out, %acc_out) : (!onnx.tensor<[], bool>, !onnx.tensor<[2], f32>) -> ()
        }) : () -> ()
      }) : (!onnx.none, !onnx.tensor<[], bool>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      "onnx.return"(%final) : (!onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:        "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
// CHECK-NEXT:     "onnx.graph"() <{name = "loop", input_names = ["cond", "init", "step"], output_names = ["final"], output_types = [!onnx.any]}> ({
// CHECK-NEXT:     ^bb0(%cond: !onnx.tensor<[], bool>, %init: !onnx.tensor<[2], f32>, %step: !onnx.tensor<[2], f32>):
// CHECK-NEXT:       %none = "onnx.novalue"() : () -> !onnx.none
// CHECK-NEXT:       %final = "onnx.Loop"(%none, %cond, %init) ({
// CHECK-NEXT:         "onnx.graph"() <{name = "loop_body", input_names = ["i", "cond_in", "acc_in"], output_names = ["cond_out", "acc_out"], output_types = [!onnx.tensor<[], bool>, !onnx.tensor<[2], f32>]}> ({
// CHECK-NEXT:         ^bb0(%i: !onnx.tensor<[], i64>, %cond_in: !onnx.tensor<[], bool>, %acc_in: !onnx.tensor<[2], f32>):
// CHECK-NEXT:           %acc_out = "onnx.Add"(%acc_in, %step) : (!onnx.tensor<[2], f32>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
// CHECK-NEXT:           %cond_out = "onnx.Identity"(%cond_in) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[], bool>
// CHECK-NEXT:           "onnx.return"(%cond_out, %acc_out) : (!onnx.tensor<[], bool>, !onnx.tensor<[2], f32>) -> ()
// CHECK-NEXT:         }) : () -> ()
// CHECK-NEXT:       }) : (!onnx.none, !onnx.tensor<[], bool>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
// CHECK-NEXT:       "onnx.return"(%final) : (!onnx.tensor<[2], f32>) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()

// -----

// A model-local function (an overload), called as an onnx.custom of its domain and overload; its body
// refers to the caller's attribute (#onnx.ref<"alpha", 1>: kind 1 is FLOAT).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, custom.fn = 1 : i64}}> ({
    "onnx.graph"() <{name = "calls", input_names = ["x"], output_names = ["f"], output_types = [!onnx.any]}> ({
    ^bb0(%x: !onnx.tensor<[2, 3], f32>):
      %f = "onnx.custom"(%x) <{domain = "custom.fn", op_type = "ScaledRelu", attrs = {alpha = 5.000000e-01 : f32}, graph_attrs = [], overload = "fast"}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
      "onnx.return"(%f) : (!onnx.tensor<[2, 3], f32>) -> ()
    }) : () -> ()
    "onnx.function"() <{name = "ScaledRelu", domain = "custom.fn", overload = "fast", input_names = ["X"], output_names = ["Y"], attribute_names = ["alpha"], opset_import = {"" = 18 : i64}}> ({
    ^bb0(%fx: !onnx.any):
      %r = "onnx.Relu"(%fx) : (!onnx.any) -> !onnx.any
      %fy = "onnx.LeakyRelu"(%r) <{alpha = #onnx.ref<"alpha", 1>}> : (!onnx.any) -> !onnx.any
      "onnx.return"(%fy) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:        "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64, custom.fn = 1 : i64}}> ({
// CHECK-NEXT:     "onnx.graph"() <{name = "calls", input_names = ["x"], output_names = ["f"], output_types = [!onnx.any]}> ({
// CHECK-NEXT:     ^bb0(%x: !onnx.tensor<[2, 3], f32>):
// CHECK-NEXT:       %f = "onnx.custom"(%x) <{domain = "custom.fn", op_type = "ScaledRelu", attrs = {alpha = 5.000000e-01 : f32}, graph_attrs = [], overload = "fast"}> : (!onnx.tensor<[2, 3], f32>) -> !onnx.tensor<[2, 3], f32>
// CHECK-NEXT:       "onnx.return"(%f) : (!onnx.tensor<[2, 3], f32>) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:     "onnx.function"() <{name = "ScaledRelu", domain = "custom.fn", overload = "fast", input_names = ["X"], output_names = ["Y"], attribute_names = ["alpha"], opset_import = {"" = 18 : i64}}> ({
// CHECK-NEXT:     ^bb0(%fx: !onnx.any):
// CHECK-NEXT:       %r = "onnx.Relu"(%fx) : (!onnx.any) -> !onnx.any
// CHECK-NEXT:       %fy = "onnx.LeakyRelu"(%r) <{alpha = #onnx.ref<"alpha", 1>}> : (!onnx.any) -> !onnx.any
// CHECK-NEXT:       "onnx.return"(%fy) : (!onnx.any) -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()
