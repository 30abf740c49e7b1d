//===- GraphAttentionOps.td - Trellis graph dialect: attention -*- tablegen -*-===//
//
// Scaled dot-product attention as one op: produced by --trellis-fuse-attention
// from the MatMul / scale / mask / Softmax / MatMul chain torch exports.
// Included by GraphOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_ATTENTION_OPS
#define TRELLIS_GRAPH_ATTENTION_OPS

def Graph_AttentionOp : Graph_Op<"attention",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "softmax(scale * Q @ K^T + mask) @ V: scaled dot-product attention";
  let description = [{
    `q` is [B..., Sq, D], `k` is [B..., Sk, D], `v` is [B..., Sk, Dv] (one
    rank, batch dimensions broadcast as in numpy); the result is
    [B..., Sq, Dv]. The softmax runs over the key axis. The optional `mask`
    (f32, or the operands' element type) is added to the scaled scores and
    broadcasts to [B..., Sq, Sk]; `causal` masks key j > query i (the upper
    triangle, top-left aligned, as `torch.tril`), i.e. adds -inf there.
    Operand order and layout are those of the hand-written kernel
    `kernels/attention.nki`.

    As for `graph.matmul`, bf16 / f16 / f8E4M3FN operands may give an f32
    result (`--auto-cast=matmult`): the scores and the softmax are then
    computed in fp32 and the probabilities rounded to V's type for the
    second product.

    ```mlir
    %o = graph.attention %q, %k, %v scale = 1.250000e-01 causal : (tensor<4x64x64xf32>, tensor<4x64x64xf32>, tensor<4x64x64xf32>) -> tensor<4x64x64xf32>
    %p = graph.attention %q, %k, %v mask %m scale = 1.250000e-01 : (tensor<4x64x64xf32>, tensor<4x64x64xf32>, tensor<4x64x64xf32>, tensor<1x64xf32>) -> tensor<4x64x64xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$q, AnyStaticShapeTensor:$k, AnyStaticShapeTensor:$v,
                       Optional<AnyStaticShapeTensor>:$mask, F32Attr:$scale, UnitAttr:$causal);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`mask` $mask^)? `scale` `=` $scale (`causal` $causal^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Narrow operands may give an f32 result (peResultTypesCompatible).
    static bool isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r);
  }];
}

#endif // TRELLIS_GRAPH_ATTENTION_OPS
