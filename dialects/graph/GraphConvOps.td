//===- GraphConvOps.td - Trellis graph dialect: Conv family ----*- tablegen -*-===//
//
// 2-D convolution, transposed convolution, pooling and inference-mode batch
// normalization, in ONNX's NCHW layout. Included by GraphOps.td.
//
// Padding is always explicit here ([top, left, bottom, right], ONNX's order
// of begins then ends): the importer resolves auto_pad and ConvTranspose's
// output_shape before building the ops, so every op carries the geometry the
// tiler needs and shape inference is a pure function of its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_CONV_OPS
#define TRELLIS_GRAPH_CONV_OPS

def Graph_PoolKind : I32EnumAttr<"PoolKind", "pooling reduction", [
    I32EnumAttrCase<"max", 0>,
    I32EnumAttrCase<"avg", 1>
  ]> {
  let cppNamespace = "::trellis::graph";
  let genSpecializedAttr = 0;
}

def Graph_PoolKindAttr : EnumAttr<Graph_Dialect, Graph_PoolKind, "pool_kind">;

def Graph_Conv2DOp : Graph_Op<"conv2d", [AttrSizedOperandSegments,
                                        DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "act(conv2d(x, w) + bias + residual): 2-D grouped convolution (ONNX Conv)";
  let description = [{
    `x` is [N, C, H, W], `w` is [F, C / group, KH, KW], the optional `bias` is
    [F]; the result is [N, F, OH, OW] with
    OH = floor((H + top + bottom - ((KH - 1) * dh + 1)) / sh) + 1 (and
    likewise OW). `pads` is [top, left, bottom, right]. `activation` is
    applied after the bias (BatchNorm folding and Relu fusion produce it).
    The optional `residual` has the result's shape and is added after the
    bias and before the activation, in fp32, as ((conv + bias) + residual):
    `--trellis-fuse-residual` folds a ResNet-style skip connection into the
    convolution so that it rides on the PSUM evacuation too.
    The tiler maps it onto the PE array weight-stationary, one kernel tap at
    a time (docs/conv.md).

    ```mlir
    %y = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$x, AnyStaticShapeTensor:$w,
                       Optional<AnyStaticShapeTensor>:$bias,
                       Optional<AnyStaticShapeTensor>:$residual,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$group,
                       DefaultValuedAttr<Graph_ActivationAttr,
                                         "::trellis::graph::Activation::none">:$activation);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $x `,` $w (`,` $bias^)? (`residual` $residual^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Narrow operands may give an f32 result (peResultTypesCompatible).
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

def Graph_ConvTranspose2DOp : Graph_Op<"conv_transpose2d",
                                       [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "2-D transposed (fractionally strided) convolution (ONNX ConvTranspose)";
  let description = [{
    `x` is [N, C, H, W], `w` is [C, F / group, KH, KW], the optional `bias` is
    [F]; the result is [N, F, OH, OW] with
    OH = sh * (H - 1) + output_padding_h + (KH - 1) * dh + 1 - top - bottom.
    The tiler runs it as a stride-1 convolution of the zero-interleaved input
    with the flipped kernel.

    ```mlir
    %y = graph.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2x3x3x3xf32>) -> tensor<1x3x8x8xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$x, AnyStaticShapeTensor:$w,
                       Optional<AnyStaticShapeTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$output_padding,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$x `,` $w (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Narrow operands may give an f32 result (peResultTypesCompatible).
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

def Graph_Pool2DOp : Graph_Op<"pool2d", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "2-D max or average pooling (ONNX MaxPool, AveragePool, Global*Pool)";
  let description = [{
    `x` is [N, C, H, W]; windows of `kernel` [KH, KW] with `strides`,
    `dilations` and `pads` [top, left, bottom, right]. Padding never wins a
    max. With `ceil_mode` the output size rounds up (a window must still
    start inside the input or its leading padding). An average divides by
    the number of window elements inside the padded input
    (`count_include_pad`) or inside the input. Global pools are the
    window covering the whole input.

    ```mlir
    %y = graph.pool2d max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins Graph_PoolKindAttr:$kind, AnyStaticShapeTensor:$x,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                       UnitAttr:$ceil_mode, UnitAttr:$count_include_pad);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$kind $x attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Graph_BatchNormOp : Graph_Op<"batch_norm", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "inference-mode batch normalization (ONNX BatchNormalization)";
  let description = [{
    y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel (axis 1)
    of `x` [N, C, D1, ...]; `scale`, `bias`, `mean` and `var` are [C].
    `trellis-fold-batchnorm` folds it into a preceding convolution or linear
    with constant weights; otherwise the tiler applies it as a per-channel
    multiply-add.

    ```mlir
    %y = graph.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$x, AnyStaticShapeTensor:$scale,
                       AnyStaticShapeTensor:$bias, AnyStaticShapeTensor:$mean,
                       AnyStaticShapeTensor:$var,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $x `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // TRELLIS_GRAPH_CONV_OPS
