// RUN: xdsl-opt %s -p 'nn-fuse-gelu{target=ort}' --split-input-file | filecheck %s
// Idempotence: a second run changes nothing.
// RUN: xdsl-opt %s -p 'nn-fuse-gelu{target=ort},nn-fuse-gelu{target=ort}' --split-input-file | filecheck %s
// Lowering: com.microsoft Gelu / BiasGelu / FastGelu under ort, the decomposition under portable, Gelu (opset ≥ 20) under standard.
// RUN: xdsl-opt %s -p 'nn-fuse-gelu{target=ort},nn-lower{target=ort}' --split-input-file | filecheck %s --check-prefix=ORT
// RUN: xdsl-opt %s -p 'nn-fuse-gelu{target=portable},nn-lower{target=portable}' --split-input-file | filecheck %s --check-prefix=PORT
// RUN: xdsl-opt %s -p 'nn-fuse-gelu{target=standard},nn-lower{target=standard}' --split-input-file | filecheck %s --check-prefix=STD

// The TorchScript erf form (BERT, ViT, Whisper): (x·(1 + erf(x/√2)))·0.5.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "gelu_erf", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f32>):
      %sqrt2 = "onnx.initializer"() <{name = "sqrt2", value = #onnx.dense<f32 [] = [1.41421354]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %half = "onnx.initializer"() <{name = "half", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %ad = "onnx.Div"(%x, %sqrt2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ae = "onnx.Erf"(%ad) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %as = "onnx.Add"(%ae, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %am = "onnx.Mul"(%x, %as) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ay = "onnx.Mul"(%am, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      "onnx.return"(%ay) : (!onnx.tensor<[batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_erf"
// CHECK: ^bb0(%[[X:.*]]: !onnx.tensor<[batch, 8], f32>):
// CHECK: %[[NONE:.*]] = "onnx.novalue"()
// CHECK: %[[Y:.*]] = "nn.gelu"(%[[X]], %[[NONE]]) <{approximate = "none"}>
// CHECK-NOT: "onnx.Erf"(
// CHECK: "onnx.return"(%[[Y]])
// ORT-LABEL: name = "gelu_erf"
// ORT: "onnx.custom"(%x) <{domain = "com.microsoft", op_type = "Gelu"
// PORT-LABEL: name = "gelu_erf"
// PORT: %[[D:.*]] = "onnx.Div"(%x, %{{.*}})
// PORT: %[[E:.*]] = "onnx.Erf"(%[[D]])
// PORT: %[[S:.*]] = "onnx.Add"(%[[E]], %{{.*}})
// PORT: %[[M:.*]] = "onnx.Mul"(%x, %[[S]])
// PORT: "onnx.Mul"(%[[M]], %{{.*}})
// STD-LABEL: name = "gelu_erf"
// STD: "onnx.Erf"(

// -----

// Other operand orders and associations: (0.5·x)·(1 + erf(x·(1/√2))), ((1 + erf)·x)/2, x·((1 + erf)·0.5).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "gelu_erf_orders", input_names = ["x"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f32>):
      %sqrt2 = "onnx.initializer"() <{name = "sqrt2", value = #onnx.dense<f32 [] = [1.41421354]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %half = "onnx.initializer"() <{name = "half", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %invsqrt2 = "onnx.initializer"() <{name = "invsqrt2", value = #onnx.dense<f32 [] = [0.707106769]>}> : () -> !onnx.tensor<[], f32>
      %two = "onnx.initializer"() <{name = "two", value = #onnx.dense<f32 [] = [2.0]>}> : () -> !onnx.tensor<[], f32>
      %bm = "onnx.Mul"(%x, %invsqrt2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %be = "onnx.Erf"(%bm) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bs = "onnx.Add"(%one, %be) : (!onnx.tensor<[], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bh = "onnx.Mul"(%half, %x) : (!onnx.tensor<[], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %by = "onnx.Mul"(%bh, %bs) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cd = "onnx.Div"(%x, %sqrt2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ce = "onnx.Erf"(%cd) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cs = "onnx.Add"(%ce, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cm = "onnx.Mul"(%cs, %x) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cy = "onnx.Div"(%cm, %two) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %dd = "onnx.Div"(%x, %sqrt2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %de = "onnx.Erf"(%dd) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ds = "onnx.Add"(%de, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %dh = "onnx.Mul"(%ds, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %dy = "onnx.Mul"(%x, %dh) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      "onnx.return"(%by, %cy, %dy) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_erf_orders"
// CHECK: %[[B:.*]] = "nn.gelu"(%x, %{{.*}}) <{approximate = "none"}>
// CHECK: %[[C:.*]] = "nn.gelu"(%x, %{{.*}}) <{approximate = "none"}>
// CHECK: %[[D:.*]] = "nn.gelu"(%x, %{{.*}}) <{approximate = "none"}>
// CHECK-NOT: "onnx.Erf"(
// CHECK: "onnx.return"(%[[B]], %[[C]], %[[D]])
// ORT-LABEL: name = "gelu_erf_orders"
// ORT-COUNT-3: op_type = "Gelu"
// PORT-LABEL: name = "gelu_erf_orders"
// PORT-COUNT-3: "onnx.Erf"(
// STD-LABEL: name = "gelu_erf_orders"
// STD-COUNT-3: "onnx.Erf"(

// -----

// gelu_erf_nofuse: x/1.5 is not x/√2; 0.4999 is not 0.5 (beyond float32 rounding); erf(x/√2) is also read outside.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "gelu_erf_nofuse", input_names = ["x"], output_names = ["y0", "y1", "y2", "y3"], output_types = [!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f32>):
      %sqrt2 = "onnx.initializer"() <{name = "sqrt2", value = #onnx.dense<f32 [] = [1.41421354]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %half = "onnx.initializer"() <{name = "half", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %wrong = "onnx.initializer"() <{name = "wrong", value = #onnx.dense<f32 [] = [1.5]>}> : () -> !onnx.tensor<[], f32>
      %almost_half = "onnx.initializer"() <{name = "almost_half", value = #onnx.dense<f32 [] = [0.4999]>}> : () -> !onnx.tensor<[], f32>
      %ad = "onnx.Div"(%x, %wrong) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ae = "onnx.Erf"(%ad) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %as = "onnx.Add"(%ae, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %am = "onnx.Mul"(%x, %as) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ay = "onnx.Mul"(%am, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bd = "onnx.Div"(%x, %sqrt2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %be = "onnx.Erf"(%bd) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bs = "onnx.Add"(%be, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bm = "onnx.Mul"(%x, %bs) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %by = "onnx.Mul"(%bm, %almost_half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cd = "onnx.Div"(%x, %sqrt2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ce = "onnx.Erf"(%cd) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cs = "onnx.Add"(%ce, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cm = "onnx.Mul"(%x, %cs) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %cy = "onnx.Mul"(%cm, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      "onnx.return"(%ay, %by, %cy, %ce) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_erf_nofuse"
// CHECK-NOT: "nn.gelu"
// CHECK-COUNT-3: "onnx.Erf"(
// ORT-LABEL: name = "gelu_erf_nofuse"
// ORT-NOT: op_type = "Gelu"
// PORT-LABEL: name = "gelu_erf_nofuse"
// PORT-COUNT-3: "onnx.Erf"(
// STD-LABEL: name = "gelu_erf_nofuse"
// STD-COUNT-3: "onnx.Erf"(

// -----

// The tanh form of GPT-2's NewGELU: (0.5·x)·(1 + tanh(√(2/π)·(x + 0.044715·x³))), x³ as Pow(x, 3) or x·(x·x).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "gelu_tanh", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f32>):
      %three = "onnx.initializer"() <{name = "three", value = #onnx.dense<f32 [] = [3.0]>}> : () -> !onnx.tensor<[], f32>
      %cubic = "onnx.initializer"() <{name = "cubic", value = #onnx.dense<f32 [] = [0.044715]>}> : () -> !onnx.tensor<[], f32>
      %sqrt2pi = "onnx.initializer"() <{name = "sqrt2pi", value = #onnx.dense<f32 [] = [0.797884583]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %half = "onnx.initializer"() <{name = "half", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %ah = "onnx.Mul"(%x, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ac = "onnx.Pow"(%x, %three) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ak = "onnx.Mul"(%ac, %cubic) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %au = "onnx.Add"(%x, %ak) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %av = "onnx.Mul"(%au, %sqrt2pi) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %at = "onnx.Tanh"(%av) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %as = "onnx.Add"(%at, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ay = "onnx.Mul"(%ah, %as) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bh = "onnx.Mul"(%x, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bxx = "onnx.Mul"(%x, %x) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bc = "onnx.Mul"(%x, %bxx) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bk = "onnx.Mul"(%bc, %cubic) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bu = "onnx.Add"(%x, %bk) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bv = "onnx.Mul"(%bu, %sqrt2pi) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bt = "onnx.Tanh"(%bv) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bs = "onnx.Add"(%bt, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %by = "onnx.Mul"(%bh, %bs) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      "onnx.return"(%ay, %by) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_tanh"
// CHECK: %[[A:.*]] = "nn.gelu"(%x, %{{.*}}) <{approximate = "tanh"}>
// CHECK: %[[B:.*]] = "nn.gelu"(%x, %{{.*}}) <{approximate = "tanh"}>
// CHECK-NOT: "onnx.Tanh"(
// CHECK: "onnx.return"(%[[A]], %[[B]])
// ORT-LABEL: name = "gelu_tanh"
// ORT-COUNT-2: "onnx.custom"(%x) <{domain = "com.microsoft", op_type = "FastGelu"
// PORT-LABEL: name = "gelu_tanh"
// PORT: %[[H:.*]] = "onnx.Mul"(%x, %{{.*}})
// PORT: %[[C:.*]] = "onnx.Pow"(%x, %{{.*}})
// PORT: %[[K:.*]] = "onnx.Mul"(%[[C]], %{{.*}})
// PORT: %[[U:.*]] = "onnx.Add"(%x, %[[K]])
// PORT: %[[V:.*]] = "onnx.Mul"(%[[U]], %{{.*}})
// PORT: %[[T:.*]] = "onnx.Tanh"(%[[V]])
// PORT: %[[S:.*]] = "onnx.Add"(%[[T]], %{{.*}})
// PORT: "onnx.Mul"(%[[H]], %[[S]])
// STD-LABEL: name = "gelu_tanh"
// STD-COUNT-2: "onnx.Tanh"(

// -----

// gelu_tanh_nofuse: 0.05 is not 0.044715; a Tanh of something else (BERT's pooler) is no GELU.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 14 : i64}}> ({
    "onnx.graph"() <{name = "gelu_tanh_nofuse", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f32>):
      %three = "onnx.initializer"() <{name = "three", value = #onnx.dense<f32 [] = [3.0]>}> : () -> !onnx.tensor<[], f32>
      %cubic = "onnx.initializer"() <{name = "cubic", value = #onnx.dense<f32 [] = [0.044715]>}> : () -> !onnx.tensor<[], f32>
      %sqrt2pi = "onnx.initializer"() <{name = "sqrt2pi", value = #onnx.dense<f32 [] = [0.797884583]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %half = "onnx.initializer"() <{name = "half", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %wrong = "onnx.initializer"() <{name = "wrong", value = #onnx.dense<f32 [] = [0.05]>}> : () -> !onnx.tensor<[], f32>
      %ah = "onnx.Mul"(%x, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ac = "onnx.Pow"(%x, %three) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ak = "onnx.Mul"(%ac, %wrong) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %au = "onnx.Add"(%x, %ak) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %av = "onnx.Mul"(%au, %sqrt2pi) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %at = "onnx.Tanh"(%av) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %as = "onnx.Add"(%at, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ay = "onnx.Mul"(%ah, %as) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %t = "onnx.Tanh"(%x) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      "onnx.return"(%ay, %t) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_tanh_nofuse"
// CHECK-NOT: "nn.gelu"
// CHECK-COUNT-2: "onnx.Tanh"(
// ORT-LABEL: name = "gelu_tanh_nofuse"
// ORT-NOT: op_type = "FastGelu"
// PORT-LABEL: name = "gelu_tanh_nofuse"
// PORT-COUNT-2: "onnx.Tanh"(
// STD-LABEL: name = "gelu_tanh_nofuse"
// STD-COUNT-2: "onnx.Tanh"(

// -----

// A bias Add before the GELU: absorbed under ort (BiasGelu, FastGelu with bias), left as an Add elsewhere.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 20 : i64}}> ({
    "onnx.graph"() <{name = "gelu_bias", input_names = ["h"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>]}> ({
    ^bb0(%h: !onnx.tensor<[batch, 8], f32>):
      %sqrt2 = "onnx.initializer"() <{name = "sqrt2", value = #onnx.dense<f32 [] = [1.41421354]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %half = "onnx.initializer"() <{name = "half", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %three = "onnx.initializer"() <{name = "three", value = #onnx.dense<f32 [] = [3.0]>}> : () -> !onnx.tensor<[], f32>
      %cubic = "onnx.initializer"() <{name = "cubic", value = #onnx.dense<f32 [] = [0.044715]>}> : () -> !onnx.tensor<[], f32>
      %sqrt2pi = "onnx.initializer"() <{name = "sqrt2pi", value = #onnx.dense<f32 [] = [0.797884583]>}> : () -> !onnx.tensor<[], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [8] = [0.5, -0.5, 0.25, 0.0, 1.0, -1.0, 0.125, 2.0]>}> : () -> !onnx.tensor<[8], f32>
      %x = "onnx.Add"(%h, %b) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ad = "onnx.Div"(%x, %sqrt2) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ae = "onnx.Erf"(%ad) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %as = "onnx.Add"(%ae, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %am = "onnx.Mul"(%x, %as) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %ay = "onnx.Mul"(%am, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %x2 = "onnx.Add"(%b, %h) : (!onnx.tensor<[8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bh = "onnx.Mul"(%x2, %half) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bc = "onnx.Pow"(%x2, %three) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bk = "onnx.Mul"(%bc, %cubic) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bu = "onnx.Add"(%x2, %bk) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bv = "onnx.Mul"(%bu, %sqrt2pi) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bt = "onnx.Tanh"(%bv) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %bs = "onnx.Add"(%bt, %one) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[batch, 8], f32>
      %by = "onnx.Mul"(%bh, %bs) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      "onnx.return"(%ay, %by) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_bias"
// CHECK: ^bb0(%[[H:.*]]: !onnx.tensor<[batch, 8], f32>):
// CHECK: %[[B:.*]] = "onnx.initializer"() <{name = "b"
// CHECK-NOT: "onnx.Add"(
// CHECK: %[[A:.*]] = "nn.gelu"(%[[H]], %[[B]]) <{approximate = "none"}>
// CHECK: %[[T:.*]] = "nn.gelu"(%[[H]], %[[B]]) <{approximate = "tanh"}>
// CHECK: "onnx.return"(%[[A]], %[[T]])
// ORT-LABEL: name = "gelu_bias"
// ORT: "onnx.custom"(%h, %b) <{domain = "com.microsoft", op_type = "BiasGelu"
// ORT: "onnx.custom"(%h, %b) <{domain = "com.microsoft", op_type = "FastGelu"
// PORT-LABEL: name = "gelu_bias"
// PORT: %[[X:.*]] = "onnx.Add"(%h, %b)
// PORT: "onnx.Div"(%[[X]], %{{.*}})
// STD-LABEL: name = "gelu_bias"
// STD: %[[X:.*]] = "onnx.Add"(%h, %b)
// STD: "onnx.Gelu"(%[[X]]) <{approximate = "none"}>
// STD: %[[X2:.*]] = "onnx.Add"(%b, %h)
// STD: "onnx.Gelu"(%[[X2]]) <{approximate = "tanh"}>

// -----

// gelu_bias_nofuse: a 2-D bias is not over the last dim only; a biased value also read outside keeps its Add.
// The GELUs still fuse, without a bias.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 20 : i64}}> ({
    "onnx.graph"() <{name = "gelu_bias_nofuse", input_names = ["h"], output_names = ["y0", "y1", "y2"], output_types = [!onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 8], f32>]}> ({
    ^bb0(%h: !onnx.tensor<[2, 8], f32>):
      %sqrt2 = "onnx.initializer"() <{name = "sqrt2", value = #onnx.dense<f32 [] = [1.41421354]>}> : () -> !onnx.tensor<[], f32>
      %one = "onnx.initializer"() <{name = "one", value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
      %half = "onnx.initializer"() <{name = "half", value = #onnx.dense<f32 [] = [0.5]>}> : () -> !onnx.tensor<[], f32>
      %b2 = "onnx.initializer"() <{name = "b2", value = #onnx.dense<f32 [2, 8] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]>}> : () -> !onnx.tensor<[2, 8], f32>
      %b = "onnx.initializer"() <{name = "b", value = #onnx.dense<f32 [8] = [0.5, -0.5, 0.25, 0.0, 1.0, -1.0, 0.125, 2.0]>}> : () -> !onnx.tensor<[8], f32>
      %x = "onnx.Add"(%h, %b2) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 8], f32>) -> !onnx.tensor<[2, 8], f32>
      %ad = "onnx.Div"(%x, %sqrt2) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 8], f32>
      %ae = "onnx.Erf"(%ad) : (!onnx.tensor<[2, 8], f32>) -> !onnx.tensor<[2, 8], f32>
      %as = "onnx.Add"(%ae, %one) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 8], f32>
      %am = "onnx.Mul"(%x, %as) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 8], f32>) -> !onnx.tensor<[2, 8], f32>
      %ay = "onnx.Mul"(%am, %half) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 8], f32>
      %x2 = "onnx.Add"(%h, %b) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[8], f32>) -> !onnx.tensor<[2, 8], f32>
      %bd = "onnx.Div"(%x2, %sqrt2) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 8], f32>
      %be = "onnx.Erf"(%bd) : (!onnx.tensor<[2, 8], f32>) -> !onnx.tensor<[2, 8], f32>
      %bs = "onnx.Add"(%be, %one) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 8], f32>
      %bm = "onnx.Mul"(%x2, %bs) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 8], f32>) -> !onnx.tensor<[2, 8], f32>
      %by = "onnx.Mul"(%bm, %half) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[], f32>) -> !onnx.tensor<[2, 8], f32>
      "onnx.return"(%ay, %by, %x2) : (!onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 8], f32>, !onnx.tensor<[2, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_bias_nofuse"
// CHECK: %[[X:.*]] = "onnx.Add"(%h, %b2)
// CHECK: "nn.gelu"(%[[X]], %{{.*}}) <{approximate = "none"}>{{.*}} : ({{.*}}, !onnx.none)
// CHECK: %[[X2:.*]] = "onnx.Add"(%h, %b)
// CHECK: "nn.gelu"(%[[X2]], %{{.*}}) <{approximate = "none"}>{{.*}} : ({{.*}}, !onnx.none)
// ORT-LABEL: name = "gelu_bias_nofuse"
// ORT-NOT: op_type = "BiasGelu"
// ORT-COUNT-2: op_type = "Gelu"
// PORT-LABEL: name = "gelu_bias_nofuse"
// PORT-COUNT-2: "onnx.Erf"(
// STD-LABEL: name = "gelu_bias_nofuse"
// STD-COUNT-2: "onnx.Gelu"(

// -----

// The dynamo form: onnx.Gelu (opset 20) is raised as it is.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 20 : i64}}> ({
    "onnx.graph"() <{name = "gelu_raise", input_names = ["x"], output_names = ["y0", "y1"], output_types = [!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f32>):
      %a = "onnx.Gelu"(%x) : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      %b = "onnx.Gelu"(%x) <{approximate = "tanh"}> : (!onnx.tensor<[batch, 8], f32>) -> !onnx.tensor<[batch, 8], f32>
      "onnx.return"(%a, %b) : (!onnx.tensor<[batch, 8], f32>, !onnx.tensor<[batch, 8], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_raise"
// CHECK: %[[A:.*]] = "nn.gelu"(%x, %{{.*}}) <{approximate = "none"}>
// CHECK: %[[B:.*]] = "nn.gelu"(%x, %{{.*}}) <{approximate = "tanh"}>
// CHECK: "onnx.return"(%[[A]], %[[B]])
// ORT-LABEL: name = "gelu_raise"
// ORT: op_type = "Gelu"
// ORT: op_type = "FastGelu"
// PORT-LABEL: name = "gelu_raise"
// PORT: "onnx.Erf"(
// PORT: "onnx.Tanh"(
// STD-LABEL: name = "gelu_raise"
// STD: "onnx.Gelu"(%x) <{approximate = "none"}>
// STD: "onnx.Gelu"(%x) <{approximate = "tanh"}>

// -----

// gelu_raise_nofuse: an f64 Gelu, which onnxruntime's contrib kernels do not take, stays under ort.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 20 : i64}}> ({
    "onnx.graph"() <{name = "gelu_raise_nofuse", input_names = ["x"], output_names = ["y0"], output_types = [!onnx.tensor<[batch, 8], f64>]}> ({
    ^bb0(%x: !onnx.tensor<[batch, 8], f64>):
      %a = "onnx.Gelu"(%x) : (!onnx.tensor<[batch, 8], f64>) -> !onnx.tensor<[batch, 8], f64>
      "onnx.return"(%a) : (!onnx.tensor<[batch, 8], f64>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK-LABEL: name = "gelu_raise_nofuse"
// CHECK-NOT: "nn.gelu"
// CHECK: "onnx.Gelu"(%x)
// ORT-LABEL: name = "gelu_raise_nofuse"
// ORT: "onnx.Gelu"(%x)
// PORT-LABEL: name = "gelu_raise_nofuse"
// PORT: "onnx.Erf"(
// STD-LABEL: name = "gelu_raise_nofuse"
// STD: "onnx.Gelu"(%x)
