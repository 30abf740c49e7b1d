//===- GraphNormOps.td - Trellis graph dialect: Norm family ----*- tablegen -*-===//
//
// Softmax, normalisations, reductions and GELU: the ops whose statistics run
// along one or more axes of a tensor. Included by GraphOps.td. Their mapping
// onto the engines is in docs/normalization.md.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_NORM_OPS
#define TRELLIS_GRAPH_NORM_OPS

def Graph_ReduceKind : I32EnumAttr<"ReduceKind", "reduction along axes", [
    I32EnumAttrCase<"sum", 0>,
    I32EnumAttrCase<"mean", 1>,
    I32EnumAttrCase<"max", 2>,
    I32EnumAttrCase<"min", 3>,
    I32EnumAttrCase<"prod", 4>,
    I32EnumAttrCase<"sum_square", 5>,
    I32EnumAttrCase<"l1", 6>,
    I32EnumAttrCase<"l2", 7>,
    I32EnumAttrCase<"log_sum", 8>,
    I32EnumAttrCase<"log_sum_exp", 9>
  ]> {
  let cppNamespace = "::trellis::graph";
  let genSpecializedAttr = 0;
}

def Graph_ReduceKindAttr : EnumAttr<Graph_Dialect, Graph_ReduceKind, "reduce_kind">;

def Graph_SoftmaxOp : Graph_Op<"softmax", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "softmax or log-softmax over a set of axes (ONNX Softmax, LogSoftmax)";
  let description = [{
    `y = exp(x - max) / sum(exp(x - max))`, the maximum and the sum taken
    jointly over `axes` (sorted, distinct); with `log`, `y = (x - max) -
    log(sum(exp(x - max)))`. ONNX opset 13 and later normalise over one axis;
    earlier opsets flatten the input to 2-D at `axis`, which is the softmax
    over every axis from `axis` on.

    ```mlir
    %y = graph.softmax %x axes = [1] : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
    %l = graph.softmax %x axes = [1, 2] log : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, DenseI64ArrayAttr:$axes, UnitAttr:$log);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input `axes` `=` $axes (`log` $log^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_ReduceOp : Graph_Op<"reduce", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "reduction over a set of axes (ONNX ReduceSum, ReduceMean, ReduceMax, ...)";
  let description = [{
    Reduces `axes` (sorted, distinct, non-empty) of the input; with
    `keepdims` the reduced axes stay as size 1, otherwise they are dropped.

    | kind | y |
    |---|---|
    | `sum`, `mean`, `max`, `min`, `prod` | as named |
    | `sum_square` | sum(x^2) |
    | `l1`, `l2` | sum(\|x\|), sqrt(sum(x^2)) |
    | `log_sum`, `log_sum_exp` | log(sum(x)), log(sum(exp(x))) |

    ```mlir
    %s = graph.reduce sum %x axes = [1] keepdims : (tensor<3x2x2xf32>) -> tensor<3x1x2xf32>
    %m = graph.reduce max %x axes = [0, 2] : (tensor<3x2x2xf32>) -> tensor<2xf32>
    ```
  }];
  let arguments = (ins Graph_ReduceKindAttr:$kind, AnyStaticShapeTensor:$input,
                       DenseI64ArrayAttr:$axes, UnitAttr:$keepdims);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $kind $input `axes` `=` $axes (`keepdims` $keepdims^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_ArgReduceOp : Graph_Op<"arg_reduce", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "index of the maximum or minimum along one axis (ONNX ArgMax, ArgMin)";
  let description = [{
    `kind` is `max` or `min`. The result holds i64 indices along `axis`;
    ties resolve to the first index, or to the last with `select_last_index`.
    With `keepdims` the axis stays as size 1.

    ```mlir
    %i = graph.arg_reduce max %x axis = 1 keepdims : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
    %j = graph.arg_reduce min %x axis = 2 select_last_index : (tensor<2x3x4xf32>) -> tensor<2x3xi64>
    ```
  }];
  let arguments = (ins Graph_ReduceKindAttr:$kind, AnyStaticShapeTensor:$input, I64Attr:$axis,
                       UnitAttr:$keepdims, UnitAttr:$select_last_index);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $kind $input `axis` `=` $axis (`keepdims` $keepdims^)? (`select_last_index` $select_last_index^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_LayerNormOp : Graph_Op<"layer_norm",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>, AttrSizedOperandSegments]> {
  let summary = "layer normalisation over the axes from `axis` on (ONNX LayerNormalization)";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, with mean and
    (biased) variance over axes `axis` .. rank-1 of `x`. The optional `scale`
    and `bias` broadcast (numpy style) to those trailing axes. The `mean` and
    `inv_std_dev` results are the statistics, f32, with the normalised axes
    kept as size 1 (ONNX's optional outputs Mean and InvStdDev); they cost
    nothing when unused. Produced by the ONNX importer and by
    `--trellis-fuse-norm` from the decomposed form PyTorch exports.

    ```mlir
    %y, %mean, %rstd = graph.layer_norm %x scale %g bias %b axis = 2 epsilon = 1.0e-05 : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>)
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, Optional<AnyStaticShapeTensor>:$scale,
                       Optional<AnyStaticShapeTensor>:$bias, I64Attr:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs AnyStaticShapeTensor:$result, AnyStaticShapeTensor:$mean,
                      AnyStaticShapeTensor:$inv_std_dev);
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`bias` $bias^)? `axis` `=` $axis (`epsilon` `=` $epsilon^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_InstanceNormOp : Graph_Op<"instance_norm", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "instance normalisation (ONNX InstanceNormalization)";
  let description = [{
    `x` is [N, C, D1, ...] (rank >= 3); each (n, c) slice is normalised over
    the spatial axes: `y = (x - mean) / sqrt(var + epsilon) * scale[c] +
    bias[c]`, with `scale` and `bias` of shape [C].

    ```mlir
    %y = graph.instance_norm %x, %s, %b epsilon = 1.0e-02 : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, AnyStaticShapeTensor:$scale,
                       AnyStaticShapeTensor:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias (`epsilon` `=` $epsilon^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Graph_GeluOp : Graph_Op<"gelu", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "GELU, exact (erf) or with the tanh approximation";
  let description = [{
    `y = 0.5 * x * (1 + erf(x / sqrt(2)))`, or with `tanh`,
    `y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`: one
    activation-engine instruction either way. Produced from ONNX Gelu
    (opset 20) and by `--trellis-fuse-norm` from the decomposed forms.

    ```mlir
    %y = graph.gelu %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %t = graph.gelu %x tanh : (tensor<4x8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, UnitAttr:$tanh);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input (`tanh` $tanh^)? attr-dict `:` functional-type(operands, results)";
}

#endif // TRELLIS_GRAPH_NORM_OPS
