// RUN: xdsl-opt %s --split-input-file --verify-diagnostics | filecheck %s
//
// One case per split: onnx IR that the verifiers reject (the IRDL definitions of the generated ops in
// onnxforge/dialects/onnx/generated.py, the structure ops of structure.py), with the message. Each case
// checks the split separator (written `// {{-}}----` so that the input splitter does not cut this file
// there) and then, on the next line, the exact message.
//
// (A graph body that does not end with onnx.return is rejected by xDSL's own terminator checks before
// onnx.graph's verifier sees it: see the no_return and empty_body cases.)

// Arity: onnx.Add takes two operands.
"builtin.module"() ({
  "onnx.graph"() <{name = "add_arity", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.Add"(%x) : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}Expected 2 operands, but got 1
// CHECK:      {{^ *}}%y = "onnx.Add"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Expected 2 operands, but got 1

// -----

// Arity: an absent optional input is an onnx.novalue operand, never a shorter operand list (Gemm's C).
"builtin.module"() ({
  "onnx.graph"() <{name = "gemm_arity", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.Gemm"(%x, %x) : (!onnx.tensor<[2, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Expected 3 operands, but got 2
// CHECK:      {{^ *}}%y = "onnx.Gemm"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Expected 3 operands, but got 2

// -----

// Arity: onnx.Relu has one result.
"builtin.module"() ({
  "onnx.graph"() <{name = "relu_results", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y, %z = "onnx.Relu"(%x) : (!onnx.tensor<[2, 2], f32>) -> (!onnx.tensor<[2, 2], f32>, !onnx.tensor<[2, 2], f32>)
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Expected 1 result, but got 2
// CHECK:      {{^ *}}%y, %z = "onnx.Relu"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Expected 1 result, but got 2

// -----

// Required attribute: Cast's `to`.
"builtin.module"() ({
  "onnx.graph"() <{name = "cast_to", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.Cast_v6"(%x) : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f16>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f16>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'to' expected in operation 'onnx.Cast_v6'
// CHECK:      {{^ *}}%y = "onnx.Cast_v6"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'to' expected in operation 'onnx.Cast_v6'

// -----

// Required attribute: Concat's axis.
"builtin.module"() ({
  "onnx.graph"() <{name = "concat_axis", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.Concat"(%x, %x) : (!onnx.tensor<[2, 2], f32>, !onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[4, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[4, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'axis' expected in operation 'onnx.Concat'
// CHECK:      {{^ *}}%y = "onnx.Concat"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'axis' expected in operation 'onnx.Concat'

// -----

// Required attribute: Constant_v1 (opset 1-10) needs its value tensor.
"builtin.module"() ({
  "onnx.graph"() <{name = "constant_v1_value", input_names = [], output_names = ["c"], output_types = [!onnx.any]}> ({
    %c = "onnx.Constant_v1"() : () -> !onnx.tensor<[], f32>
    "onnx.return"(%c) : (!onnx.tensor<[], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'value' expected in operation 'onnx.Constant_v1'
// CHECK:      {{^ *}}%c = "onnx.Constant_v1"()
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'value' expected in operation 'onnx.Constant_v1'

// -----

// Attribute kind: a FLOAT attribute (Gemm's alpha) given as an integer.
"builtin.module"() ({
  "onnx.graph"() <{name = "gemm_alpha_int", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "onnx.Gemm"(%x, %x, %none) <{alpha = 1 : i64}> : (!onnx.tensor<[2, 2], f32>, !onnx.tensor<[2, 2], f32>, !onnx.none) -> !onnx.tensor<[2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Unexpected attribute 1 : i64
// CHECK:      {{^ *}}%y = "onnx.Gemm"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Unexpected attribute 1 : i64

// -----

// Attribute kind: an INTS attribute (Transpose's perm) is a dense array, not an array attribute.
"builtin.module"() ({
  "onnx.graph"() <{name = "transpose_perm_array", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.Transpose"(%x) <{perm = [1, 0]}> : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Unexpected attribute [1 : i64, 0 : i64]
// CHECK:      {{^ *}}%y = "onnx.Transpose"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Unexpected attribute [1 : i64, 0 : i64]

// -----

// Attribute kind: a STRING attribute (Conv's auto_pad) given as an integer.
"builtin.module"() ({
  "onnx.graph"() <{name = "conv_auto_pad_int", input_names = ["x", "w"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[1, 1, 4, 4], f32>, %w: !onnx.tensor<[1, 1, 3, 3], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %y = "onnx.Conv"(%x, %w, %none) <{auto_pad = 3 : i64}> : (!onnx.tensor<[1, 1, 4, 4], f32>, !onnx.tensor<[1, 1, 3, 3], f32>, !onnx.none) -> !onnx.tensor<[1, 1, 2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[1, 1, 2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Unexpected attribute 3 : i64
// CHECK:      {{^ *}}%y = "onnx.Conv"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Unexpected attribute 3 : i64

// -----

// Attribute kind: a FLOAT attribute (LeakyRelu's alpha) given as a FLOATS array.
"builtin.module"() ({
  "onnx.graph"() <{name = "leaky_relu_alpha_array", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.LeakyRelu"(%x) <{alpha = array<f32: 1.000000e-01>}> : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Unexpected attribute array<f32: 1.000000e-01>
// CHECK:      {{^ *}}%y = "onnx.LeakyRelu"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Unexpected attribute array<f32: 1.000000e-01>

// -----

// Attribute kind: a TENSOR attribute (Constant's value) is an #onnx.dense, not a builtin float.
"builtin.module"() ({
  "onnx.graph"() <{name = "constant_value_float", input_names = [], output_names = ["c"], output_types = [!onnx.any]}> ({
    %c = "onnx.Constant"() <{value = 1.000000e+00 : f32}> : () -> !onnx.tensor<[], f32>
    "onnx.return"(%c) : (!onnx.tensor<[], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Unexpected attribute 1.000000e+00 : f32
// CHECK:      {{^ *}}%c = "onnx.Constant"()
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Unexpected attribute 1.000000e+00 : f32

// -----

// Type constraint: onnx.novalue produces !onnx.none.
"builtin.module"() ({
  "onnx.graph"() <{name = "novalue_type", input_names = ["x"], output_names = ["x"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %none = "onnx.novalue"() : () -> !onnx.tensor<[2], f32>
    "onnx.return"(%x) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}result 'result' at position 0 does not verify:
// CHECK-NEXT: {{^}}!onnx.tensor<[2], f32> should be of base attribute onnx.none
// CHECK:      {{^ *}}%none = "onnx.novalue"()
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: result 'result' at position 0 does not verify:

// -----

// onnx.initializer: the value is an #onnx.dense (or #onnx.proto), not a builtin attribute.
"builtin.module"() ({
  "onnx.graph"() <{name = "initializer_value", input_names = ["x"], output_names = ["x"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %w = "onnx.initializer"() <{name = "w", value = 1.000000e+00 : f32}> : () -> !onnx.tensor<[], f32>
    "onnx.return"(%x) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Unexpected attribute 1.000000e+00 : f32
// CHECK:      {{^ *}}%w = "onnx.initializer"() <{name = "w"
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Unexpected attribute 1.000000e+00 : f32

// -----

// onnx.initializer: the tensor name is required.
"builtin.module"() ({
  "onnx.graph"() <{name = "initializer_name", input_names = ["x"], output_names = ["x"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %w = "onnx.initializer"() <{value = #onnx.dense<f32 [] = [1.0]>}> : () -> !onnx.tensor<[], f32>
    "onnx.return"(%x) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'name' expected in operation 'onnx.initializer'
// CHECK:      {{^ *}}%w = "onnx.initializer"()
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'name' expected in operation 'onnx.initializer'

// -----

// onnx.custom: attrs is required (an empty dictionary when the node has none).
"builtin.module"() ({
  "onnx.graph"() <{name = "custom_attrs", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.custom"(%x) <{domain = "com.microsoft", op_type = "Gelu", graph_attrs = []}> : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'attrs' expected in operation 'onnx.custom'
// CHECK:      {{^ *}}%y = "onnx.custom"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'attrs' expected in operation 'onnx.custom'

// -----

// onnx.custom: the domain is a string.
"builtin.module"() ({
  "onnx.graph"() <{name = "custom_domain", input_names = ["x"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.custom"(%x) <{domain = 1 : i64, op_type = "Gelu", attrs = {}, graph_attrs = []}> : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
    "onnx.return"(%y) : (!onnx.tensor<[2, 2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}1 : i64 should be of base attribute string
// CHECK:      {{^ *}}%y = "onnx.custom"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: 1 : i64 should be of base attribute string

// -----

// onnx.graph: the body ends with onnx.return (here: the graph has no outputs returned).
"builtin.module"() ({
  "onnx.graph"() <{name = "no_return", input_names = ["x"], output_names = [], output_types = []}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    %y = "onnx.Relu"(%x) : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Operation onnx.Relu terminates block in single-block region but is not a terminator

// -----

// onnx.graph: an empty body has no onnx.return either.
"builtin.module"() ({
  "onnx.graph"() <{name = "empty_body", input_names = [], output_names = [], output_types = []}> ({
  ^bb0:
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Operation onnx.graph contains empty block in single-block region that expects at least a terminator

// -----

// onnx.return: it ends its block, no op follows it.
"builtin.module"() ({
  "onnx.graph"() <{name = "return_not_last", input_names = ["x"], output_names = ["x"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2, 2], f32>):
    "onnx.return"(%x) : (!onnx.tensor<[2, 2], f32>) -> ()
    %y = "onnx.Relu"(%x) : (!onnx.tensor<[2, 2], f32>) -> !onnx.tensor<[2, 2], f32>
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}'onnx.return' must be the last operation in its parent block
// CHECK:      {{^ *}}"onnx.return"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: 'onnx.return' must be the last operation in its parent block

// -----

// onnx.graph: one block (ONNX graphs have no control flow).
"builtin.module"() ({
  "onnx.graph"() <{name = "two_blocks", input_names = [], output_names = [], output_types = []}> ({
    "onnx.return"() : () -> ()
  ^bb1:
    "onnx.return"() : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Region 'body' at position 0 expected a single block, but got 2 blocks
// CHECK:      {{^ *}}"onnx.graph"() <{name = "two_blocks"
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Region 'body' at position 0 expected a single block, but got 2 blocks

// -----

// onnx.graph: output_types is required.
"builtin.module"() ({
  "onnx.graph"() <{name = "no_output_types", input_names = [], output_names = []}> ({
    "onnx.return"() : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'output_types' expected in operation 'onnx.graph'
// CHECK:      {{^ *}}"onnx.graph"() <{name = "no_output_types"
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'output_types' expected in operation 'onnx.graph'

// -----

// onnx.model: ir_version is required.
"builtin.module"() ({
  "onnx.model"() <{opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "main", input_names = [], output_names = [], output_types = []}> ({
      "onnx.return"() : () -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'ir_version' expected in operation 'onnx.model'
// CHECK:      {{^ *}}"onnx.model"()
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'ir_version' expected in operation 'onnx.model'

// -----

// onnx.model: opset_import is a dictionary domain → version.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = [18]}> ({
    "onnx.graph"() <{name = "main", input_names = [], output_names = [], output_types = []}> ({
      "onnx.return"() : () -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}[18 : i64] should be of base attribute dictionary
// CHECK:      {{^ *}}"onnx.model"()
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: [18 : i64] should be of base attribute dictionary

// -----

// onnx.model: the body is one block (holding the main graph).
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Region 'body' at position 0 expected a single block, but got 0 blocks
// CHECK:      {{^ *}}"onnx.model"()
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Region 'body' at position 0 expected a single block, but got 0 blocks

// -----

// onnx.function: the domain of its callers is required.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "main", input_names = [], output_names = [], output_types = []}> ({
      "onnx.return"() : () -> ()
    }) : () -> ()
    "onnx.function"() <{name = "F", input_names = ["X"], output_names = ["X"], attribute_names = [], opset_import = {"" = 18 : i64}}> ({
    ^bb0(%fx: !onnx.any):
      "onnx.return"(%fx) : (!onnx.any) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}property 'domain' expected in operation 'onnx.function'
// CHECK:      {{^ *}}"onnx.function"() <{name = "F"
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: property 'domain' expected in operation 'onnx.function'

// -----

// onnx.If: two subgraph regions (else_branch, then_branch).
"builtin.module"() ({
  "onnx.graph"() <{name = "if_one_region", input_names = ["c"], output_names = ["r"], output_types = [!onnx.any]}> ({
  ^bb0(%c: !onnx.tensor<[], bool>):
    %r = "onnx.If"(%c) ({
      "onnx.graph"() <{name = "then_body", input_names = [], output_names = ["c"], output_types = [!onnx.any]}> ({
        "onnx.return"(%c) : (!onnx.tensor<[], bool>) -> ()
      }) : () -> ()
    }) : (!onnx.tensor<[], bool>) -> !onnx.tensor<[], bool>
    "onnx.return"(%r) : (!onnx.tensor<[], bool>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Expected 2 regions, but got 1
// CHECK:      {{^ *}}%r = "onnx.If"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Expected 2 regions, but got 1

// -----

// onnx.Loop: the body is a region, not an attribute.
"builtin.module"() ({
  "onnx.graph"() <{name = "loop_no_body", input_names = ["c", "v"], output_names = ["r"], output_types = [!onnx.any]}> ({
  ^bb0(%c: !onnx.tensor<[], bool>, %v: !onnx.tensor<[2], f32>):
    %none = "onnx.novalue"() : () -> !onnx.none
    %r = "onnx.Loop"(%none, %c, %v) : (!onnx.none, !onnx.tensor<[], bool>, !onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
    "onnx.return"(%r) : (!onnx.tensor<[2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}Expected 1 region, but got 0
// CHECK:      {{^ *}}%r = "onnx.Loop"(
// CHECK-NEXT: {{^ *\^+-*$}}
// CHECK-NEXT: | Operation does not verify: Expected 1 region, but got 0

// -----

// onnx.graph: two input names for one block argument.
"builtin.module"() ({
  "onnx.graph"() <{name = "g", input_names = ["x", "z"], output_names = ["y"], output_types = [!onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2], f32>):
    "onnx.return"(%x) : (!onnx.tensor<[2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}onnx.graph: input_names and block arguments differ in number

// -----

// onnx.graph: two output names for one returned value.
"builtin.module"() ({
  "onnx.graph"() <{name = "g", input_names = ["x"], output_names = ["y", "z"], output_types = [!onnx.any, !onnx.any]}> ({
  ^bb0(%x: !onnx.tensor<[2], f32>):
    "onnx.return"(%x) : (!onnx.tensor<[2], f32>) -> ()
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}onnx.graph: output_names, output_types and returned values differ in number

// -----

// onnx.model: a model without its graph.
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 18 : i64}}> ({
  ^bb0:
  }) : () -> ()
}) : () -> ()
// CHECK:      {{^}}// {{-}}----
// CHECK-NEXT: {{^}}onnx.model must hold exactly one onnx.graph, found 0
