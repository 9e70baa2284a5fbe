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
