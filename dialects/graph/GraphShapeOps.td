//===- GraphShapeOps.td - Trellis graph dialect: Shape family ----*- tablegen -*-===//
//
// Layout ops (reshape, expand, slice, concat, gather, pad), element type
// conversion (cast) and the comparison / boolean ops whose results are i1.
// Every op folds when its operands are constants: the ONNX importer folds
// shape computations (Shape -> Gather -> Concat -> Reshape chains) through
// these folders as it builds them. Included by GraphOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_SHAPE_OPS
#define TRELLIS_GRAPH_SHAPE_OPS

def Graph_CompareKind : I32EnumAttr<"CompareKind", "element-wise comparison", [
    I32EnumAttrCase<"eq", 0>,
    I32EnumAttrCase<"lt", 1>,
    I32EnumAttrCase<"le", 2>,
    I32EnumAttrCase<"gt", 3>,
    I32EnumAttrCase<"ge", 4>
  ]> {
  let cppNamespace = "::trellis::graph";
  let genSpecializedAttr = 0;
}

def Graph_CompareKindAttr : EnumAttr<Graph_Dialect, Graph_CompareKind, "compare_kind">;

def Graph_LogicalKind : I32EnumAttr<"LogicalKind", "element-wise boolean operation", [
    I32EnumAttrCase<"And", 0, "and">,
    I32EnumAttrCase<"Or", 1, "or">,
    I32EnumAttrCase<"Xor", 2, "xor">
  ]> {
  let cppNamespace = "::trellis::graph";
  let genSpecializedAttr = 0;
}

def Graph_LogicalKindAttr : EnumAttr<Graph_Dialect, Graph_LogicalKind, "logical_kind">;

def Graph_BoolTensor : StaticShapeTensorOf<[I1]>;

def Graph_ReshapeOp : Graph_Op<"reshape"> {
  let summary = "same elements in row-major order, new shape (ONNX Reshape, Flatten, Squeeze, Unsqueeze)";
  let description = [{
    The result type is the new shape; it must have the operand's element
    count and element type.

    ```mlir
    %r = graph.reshape %x : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_ExpandOp : Graph_Op<"expand"> {
  let summary = "numpy broadcast to the result shape (ONNX Expand, Tile)";
  let description = [{
    The operand's shape must broadcast to the result's shape, and the result
    shape must be that broadcast (no dimension of the operand is dropped).

    ```mlir
    %e = graph.expand %x : (tensor<3x1xf32>) -> tensor<2x3x6xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_SliceOp : Graph_Op<"slice"> {
  let summary = "strided slice: result[i] = input[starts + i * steps] (ONNX Slice, Split)";
  let description = [{
    One start and one non-zero step per dimension; the result shape gives
    the number of elements taken along each. Steps may be negative (walking
    backwards from `starts`). Every index read lies inside the operand: the
    importer has already clamped ONNX's out-of-range starts and ends.

    ```mlir
    %s = graph.slice %x {starts = array<i64: 19, 0>, steps = array<i64: -2, 1>} : (tensor<20x4xf32>) -> tensor<10x4xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$steps);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_ConcatOp : Graph_Op<"concat", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "join tensors along one axis (ONNX Concat)";
  let description = [{
    `axis` is in [0, rank); all operands have the same rank, element type and
    every other dimension.

    ```mlir
    %c = graph.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyStaticShapeTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_GatherOp : Graph_Op<"gather", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "take entries of `data` along `axis` at `indices` (ONNX Gather)";
  let description = [{
    result[a..., i..., b...] = data[a..., indices[i...], b...] with `axis` in
    [0, rank(data)). Indices are i32 or i64; negative ones count from the end
    of the axis. The result shape is data.shape[:axis] + indices.shape +
    data.shape[axis+1:].

    ```mlir
    %g = graph.gather %data, %idx {axis = 0 : i64} : (tensor<5x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$data,
                       StaticShapeTensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_PadOp : Graph_Op<"pad", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "surround a tensor with a constant (ONNX Pad, constant mode)";
  let description = [{
    `low[d]` and `high[d]` (both >= 0) elements of `value` go before and
    after dimension d. `value` is converted to the element type (booleans:
    non-zero is true).

    ```mlir
    %p = graph.pad %x {low = array<i64: 0, 1>, high = array<i64: 2, 0>, value = 0.0 : f64} : (tensor<3x4xf32>) -> tensor<5x5xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high, F64Attr:$value);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_CastOp : Graph_Op<"cast"> {
  let summary = "convert every element to the result's element type (ONNX Cast)";
  let description = [{
    As numpy's `astype`: floats round to nearest even when narrowed, floats
    truncate toward zero when converted to integers, integers wrap when
    narrowed, and anything becomes i1 as `x != 0`.

    ```mlir
    %c = graph.cast %x : (tensor<3x4xf32>) -> tensor<3x4xf16>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_CompareOp : Graph_Op<"compare", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "element-wise comparison with numpy broadcasting, giving i1 (ONNX Equal, Less, ...)";
  let description = [{
    `lhs kind rhs` for every element of the broadcast shape. Both operands
    have the same element type.

    ```mlir
    %m = graph.compare lt %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xi1>
    ```
  }];
  let arguments = (ins Graph_CompareKindAttr:$kind, AnyStaticShapeTensor:$lhs,
                       AnyStaticShapeTensor:$rhs);
  let results = (outs Graph_BoolTensor:$result);
  let assemblyFormat = "$kind $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_LogicalOp : Graph_Op<"logical", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "element-wise and / or / xor of booleans with numpy broadcasting (ONNX And, Or, Xor)";
  let description = [{
    ```mlir
    %m = graph.logical and %a, %b : (tensor<3x4xi1>, tensor<4xi1>) -> tensor<3x4xi1>
    ```
  }];
  let arguments = (ins Graph_LogicalKindAttr:$kind, Graph_BoolTensor:$lhs, Graph_BoolTensor:$rhs);
  let results = (outs Graph_BoolTensor:$result);
  let assemblyFormat = "$kind $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_NotOp : Graph_Op<"not", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "element-wise boolean negation (ONNX Not)";
  let description = [{
    ```mlir
    %n = graph.not %m : (tensor<3x4xi1>) -> tensor<3x4xi1>
    ```
  }];
  let arguments = (ins Graph_BoolTensor:$input);
  let results = (outs Graph_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_SelectOp : Graph_Op<"select", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "element-wise cond ? x : y with numpy broadcasting of all three (ONNX Where)";
  let description = [{
    ```mlir
    %s = graph.select %c, %x, %y : (tensor<2x2xi1>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
    ```
  }];
  let arguments = (ins Graph_BoolTensor:$condition, AnyStaticShapeTensor:$x,
                       AnyStaticShapeTensor:$y);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$condition `,` $x `,` $y attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

#endif // TRELLIS_GRAPH_SHAPE_OPS
