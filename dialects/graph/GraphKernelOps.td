//===- GraphKernelOps.td - Graph ops implemented by hand-written kernels --===//

#ifndef TRELLIS_GRAPH_KERNEL_OPS
#define TRELLIS_GRAPH_KERNEL_OPS

include "mlir/IR/SymbolInterfaces.td"

def Graph_KernelCallOp : Graph_Op<"kernel_call",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a call of a hand-written NKI-style kernel";
  let description = [{
    Computes its results with a traced `.nki` kernel: `callee` names a
    `func.func` of the same module carrying the `trellis.kernel` attribute
    (its source, `file.nki:function`), whose arguments are HBM buffers, the
    kernel's inputs followed by its outputs, one per operand and result of
    this op with the same shape and element type. `trellis-cc compile
    --kernel OP=FILE.nki` / `--kernel-lib DIR` create these calls, for graph
    ops (`--trellis-bind-kernels`) and for ONNX nodes of custom domains;
    `--convert-graph-to-tile` inlines the kernel's tile ops at each call.

    ```mlir
    %y = graph.kernel_call @softmax_128x64xf32(%x) : (tensor<128x64xf32>) -> tensor<128x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyStaticShapeTensor>:$inputs);
  let results = (outs Variadic<AnyStaticShapeTensor>:$results);
  let assemblyFormat = "$callee `(` $inputs `)` attr-dict `:` functional-type($inputs, $results)";
}

#endif // TRELLIS_GRAPH_KERNEL_OPS
