// RUN: forgec %s --passes=onnx-normalize-conv-padding --emit=ir --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: forgec %s --passes=onnx-normalize-conv-padding,onnx-normalize-conv-padding --emit=ir --split-input-file | filecheck %s

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
