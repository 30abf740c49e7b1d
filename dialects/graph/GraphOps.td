//===- GraphOps.td - Trellis graph dialect ------------------*- tablegen -*-===//
//
// Value-semantics tensor ops close to ONNX. Static shapes; result types come
// from InferTypeOpInterface (shape inference); locations carry the ONNX node
// name.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_OPS
#define TRELLIS_GRAPH_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::trellis::graph";
  let summary = "Tensor-level ops imported from ONNX";
  let description = [{
    The `graph` dialect holds a model as value-semantics tensor ops with static
    shapes, close to ONNX. Graph passes (fusion, folding) run here before the
    model is tiled onto the machine (`--convert-graph-to-tile`).
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

def Graph_Activation : I32EnumAttr<"Activation", "fused activation", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"gelu", 2>,
    I32EnumAttrCase<"gelu_tanh", 3>
  ]> {
  let cppNamespace = "::trellis::graph";
  let genSpecializedAttr = 0;
}

def Graph_ActivationAttr : EnumAttr<Graph_Dialect, Graph_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Graph_BinaryKind : I32EnumAttr<"BinaryKind", "element-wise binary operation", [
    I32EnumAttrCase<"sub", 0>,
    I32EnumAttrCase<"mul", 1>,
    I32EnumAttrCase<"div", 2>,
    I32EnumAttrCase<"max", 3>,
    I32EnumAttrCase<"min", 4>,
    I32EnumAttrCase<"pow", 5>
  ]> {
  let cppNamespace = "::trellis::graph";
  let genSpecializedAttr = 0;
}

def Graph_BinaryKindAttr : EnumAttr<Graph_Dialect, Graph_BinaryKind, "binary_kind">;

def Graph_UnaryKind : I32EnumAttr<"UnaryKind", "element-wise unary function", [
    I32EnumAttrCase<"neg", 0>,
    I32EnumAttrCase<"abs", 1>,
    I32EnumAttrCase<"exp", 2>,
    I32EnumAttrCase<"log", 3>,
    I32EnumAttrCase<"sqrt", 4>,
    I32EnumAttrCase<"reciprocal", 5>,
    I32EnumAttrCase<"tanh", 6>,
    I32EnumAttrCase<"sigmoid", 7>,
    I32EnumAttrCase<"erf", 8>,
    I32EnumAttrCase<"softplus", 9>,
    I32EnumAttrCase<"leaky_relu", 10>,
    I32EnumAttrCase<"elu", 11>,
    I32EnumAttrCase<"hard_sigmoid", 12>,
    I32EnumAttrCase<"affine", 13>
  ]> {
  let cppNamespace = "::trellis::graph";
  let genSpecializedAttr = 0;
}

def Graph_UnaryKindAttr : EnumAttr<Graph_Dialect, Graph_UnaryKind, "unary_kind">;

class Graph_Op<string mnemonic, list<Trait> traits = []> :
    Op<Graph_Dialect, mnemonic, traits # [Pure]>;

def Graph_ConstantOp : Graph_Op<"constant", [ConstantLike, AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor (an ONNX initializer or Constant)";
  let description = [{
    ```mlir
    %w = graph.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let builders = [OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
    build($_builder, $_state, value.getType(), value);
  }]>];
}

def Graph_MatMulOp : Graph_Op<"matmul", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "numpy-style matrix product (ONNX MatMul)";
  let description = [{
    Batched, with the batch dimensions broadcast as in numpy. Rank-1 operands
    are not supported yet. The result has the operands' element type or,
    when they are bf16, f16 or f8E4M3FN, f32: the PE array accumulates in
    fp32 in PSUM (what `--trellis-auto-cast` produces).

    ```mlir
    %y = graph.matmul %a, %b : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$lhs, AnyStaticShapeTensor:$rhs);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{
    /// Narrow operands may give an f32 result (peResultTypesCompatible).
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

def Graph_LinearOp : Graph_Op<"linear", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "act(alpha * x @ w + beta * bias): a fused matmul with a 2-D weight";
  let description = [{
    `x` is [M, K], `w` is [K, N], the optional `bias` broadcasts to [M, N].
    An `x` of higher rank [..., M, K] is the row-major [prod(...) * M, K]
    (the result is [..., M, N]); its bias must then be [N] or [1, N].
    As for `graph.matmul`, bf16 / f16 / f8E4M3FN operands may give an f32
    result; the bias has the result's element type, or f32 with a narrow
    result (added in fp32 before the rounding). `activation` is none, relu,
    gelu or gelu_tanh (`graph.gelu`'s two forms).
    Produced from ONNX Gemm and by fusing MatMul + Add (+ Relu or GELU).
    The tiler keeps `w` stationary in the PE array and applies bias and
    activation while evacuating PSUM.

    ```mlir
    %y = graph.linear %x, %w, %b {activation = #graph.activation<relu>} : (tensor<8x16xf32>, tensor<16x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$x, AnyStaticShapeTensor:$w,
                       Optional<AnyStaticShapeTensor>:$bias,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       DefaultValuedAttr<Graph_ActivationAttr,
                                         "::trellis::graph::Activation::none">:$activation);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$x `,` $w (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Narrow operands may give an f32 result (peResultTypesCompatible).
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

def Graph_TransposeOp : Graph_Op<"transpose", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "permute dimensions (ONNX Transpose)";
  let description = [{
    ```mlir
    %t = graph.transpose %a {perm = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_AddOp : Graph_Op<"add", [DeclareOpInterfaceMethods<InferTypeOpInterface>, Commutative]> {
  let summary = "element-wise sum with numpy broadcasting (ONNX Add)";
  let description = [{
    ```mlir
    %c = graph.add %a, %b : (tensor<3x4x5xf32>, tensor<5xf32>) -> tensor<3x4x5xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$lhs, AnyStaticShapeTensor:$rhs);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Graph_ReluOp : Graph_Op<"relu", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "max(x, 0) (ONNX Relu)";
  let description = [{
    ```mlir
    %r = graph.relu %a : (tensor<3x4xf32>) -> tensor<3x4xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Graph_BinaryOp : Graph_Op<"binary", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "element-wise binary op with numpy broadcasting (ONNX Sub, Mul, Div, Max, Min, Pow)";
  let description = [{
    One op for every two-operand element-wise ONNX op but Add (which stays
    `graph.add`, the form linear fusion matches). Variadic ONNX ops (Max, Min)
    are imported as chains. The operands have one element type, except for
    `pow`, whose exponent may have another (ONNX Pow's T1); the result has
    the lhs's element type.

    ```mlir
    %c = graph.binary mul %a, %b : (tensor<3x4x5xf32>, tensor<5xf32>) -> tensor<3x4x5xf32>
    ```
  }];
  let arguments = (ins Graph_BinaryKindAttr:$kind, AnyStaticShapeTensor:$lhs,
                       AnyStaticShapeTensor:$rhs);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$kind $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_UnaryOp : Graph_Op<"unary", [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "element-wise function of one tensor (ONNX Neg, Exp, Sigmoid, LeakyRelu, ...)";
  let description = [{
    `alpha` and `beta` are the function's parameters, present exactly when it
    has them:

    | kind | y |
    |---|---|
    | `neg`, `abs`, `exp`, `log`, `sqrt`, `reciprocal`, `tanh`, `sigmoid`, `erf`, `softplus` | as named |
    | `leaky_relu` | x >= 0 ? x : alpha * x |
    | `elu` | x > 0 ? x : alpha * (exp(x) - 1) |
    | `hard_sigmoid` | max(0, min(1, alpha * x + beta)) |
    | `affine` | alpha * x + beta |

    ```mlir
    %y = graph.unary leaky_relu %x {alpha = 0.1 : f32} : (tensor<3x4xf32>) -> tensor<3x4xf32>
    ```
  }];
  let arguments = (ins Graph_UnaryKindAttr:$kind, AnyStaticShapeTensor:$input,
                       OptionalAttr<F32Attr>:$alpha, OptionalAttr<F32Attr>:$beta);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// How many of alpha, beta a kind takes (alpha first).
    static unsigned getNumParams(UnaryKind kind);
  }];
  let hasFolder = 1;
}

// Op families in files of their own.
include "graph/GraphShapeOps.td"
include "graph/GraphConvOps.td"
include "graph/GraphNormOps.td"
include "graph/GraphKernelOps.td"
include "graph/GraphAttentionOps.td"

#endif // TRELLIS_GRAPH_OPS
