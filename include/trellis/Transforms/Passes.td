//===- Passes.td - Trellis passes -----------------------------*- tablegen -*-===//

#ifndef TRELLIS_PASSES
#define TRELLIS_PASSES

include "mlir/Pass/PassBase.td"

def FuseLinear : Pass<"trellis-fuse-linear", "mlir::func::FuncOp"> {
  let summary = "Fuse matmul + bias add + relu / GELU into graph.linear";
  let description = [{
    Rewrites `graph.matmul` of rank-2 operands into `graph.linear`, folds a
    following `graph.add` whose other operand broadcasts to the result into
    the linear's bias, and a following `graph.relu` or `graph.gelu` (exact
    or tanh) into its activation, so that the tiler applies both while
    evacuating PSUM (the activation function applied to the biased value,
    as the separate op would have).
  }];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

def FuseResidual : Pass<"trellis-fuse-residual", "mlir::func::FuncOp"> {
  let summary = "Fuse a skip-connection add (and a following relu) into graph.conv2d";
  let description = [{
    Rewrites `graph.add(graph.conv2d(x, w, b), r)` (either operand order)
    into `graph.conv2d(x, w, b) residual r` when the convolution has no
    activation and no other user and `r` has its type, then a following
    `graph.relu` into the convolution's activation: ResNet's
    relu(conv(x) + identity) becomes one op whose PSUM evacuation adds the
    bias, then `r`, then applies the relu, in the order and fp32 rounding
    of the unfused ops, instead of two element-wise ops that each read and
    write the activation in HBM.
  }];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

def FoldBatchNorm : Pass<"trellis-fold-batchnorm", "mlir::func::FuncOp"> {
  let summary = "Fold inference batch norm into the preceding conv2d or linear";
  let description = [{
    Rewrites `graph.batch_norm(graph.conv2d(x, w, b))` into
    `graph.conv2d(x, w * a, b * a + shift)` with the per-channel
    a = scale / sqrt(var + eps) and shift = bias - mean * a, when the
    weights, the bias and the four parameters are f32 constants and the
    convolution has no other user and no activation. Likewise a rank-2
    `graph.linear` or `graph.matmul` (channel axis = N) becomes a
    `graph.linear` with scaled weights and a bias. A `graph.relu` that
    followed the batch norm is then fused into the convolution. Batch norms
    that do not fold stay and are tiled as a per-channel multiply-add.
  }];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

def BindKernels : Pass<"trellis-bind-kernels", "mlir::ModuleOp"> {
  let summary = "Let hand-written kernels implement graph ops";
  let description = [{
    Replaces every `graph.softmax` (last axis), `graph.layer_norm` (last
    axis), `graph.matmul`, `graph.linear` and `graph.attention` (no
    additive mask; one call per head) that has a kernel in the
    library with a `graph.kernel_call` of the kernel traced for the op's
    operand types (`trellis-cc compile --kernel OP=FILE.nki`,
    `--kernel-lib DIR` for DIR/OP.nki). A kernel that cannot take the op's
    shapes or types is an error at the op, with the kernel's own message.
    Implemented in lib/Kernel/Binding.cpp; the per-op contract is in
    docs/kernel-language.md.
  }];
  let options = [
    ListOption<"kernels", "kernel", "std::string", "OP=FILE.nki bindings">,
    Option<"kernelLib", "kernel-lib", "std::string", "\"\"",
           "a directory of OP.nki kernels">,
    Option<"target", "target", "std::string", "\"trn2\"",
           "arch config: a bundled target name or a .json path">,
  ];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

def Sparsity : Pass<"trellis-sparsity", "mlir::ModuleOp"> {
  let summary = "Make constant matmul weights N:M structured-sparse for the sparse PE path";
  let description = [{
    For every `graph.linear` / `graph.matmul` whose weight ([K, N], the
    right-hand side) is a 2-D float `graph.constant`, and every group-1
    `graph.conv2d` with a constant float weight ([F, C, KH, KW]: K is C, per
    output channel and tap), whose ONNX node name (the op's NameLoc) matches
    `sparsity-layers` (a regex searched in the name; empty: every layer;
    `auto`: layers the cost model predicts at least 1.1x faster), checks that
    every group of M consecutive rows along K holds at most N non-zeros per
    column, or with `sparsity-prune` zeroes all but the N largest magnitudes
    of each group (in a constant of the op's own). A matmul K that is not
    whole groups is zero-padded to them. Such ops get
    `trellis.sparsity = "N:M"`; --convert-graph-to-tile then compresses the
    weight (values + 4-bit tags) and emits `tile.sparse_matmul`. Grouped
    convolutions, convolutions whose C is not a multiple of M, and weights
    not sparse without pruning are left dense. A report (per layer: pattern, kept
    magnitude fraction, predicted speedup, status) goes to `sparsity-report`
    (written atomically) or to stderr. A pattern the target does not list in
    its "sparsity" config is an error.
  }];
  let options = [
    Option<"sparsity", "sparsity", "std::string", "\"2:4\"", "the N:M pattern">,
    Option<"layers", "sparsity-layers", "std::string", "\"\"",
           "regex over ONNX node names, or 'auto'; empty: all">,
    Option<"prune", "sparsity-prune", "bool", "false", "prune by magnitude per group">,
    Option<"report", "sparsity-report", "std::string", "\"\"",
           "report file ('' or '-': stderr)">,
    Option<"target", "target", "std::string", "\"trn2\"", "arch config name or .json path">
  ];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

def ConvertGraphToTile : Pass<"convert-graph-to-tile", "mlir::ModuleOp"> {
  let summary = "Tile graph ops onto the 128x128 PE array, SBUF and PSUM";
  let description = [{
    Rewrites each `func.func` of graph ops on tensors into a function of tile
    ops on HBM buffers in destination-passing style: inputs first, then one
    output buffer per result (arg attributes `trellis.input` /
    `trellis.output` carry the ONNX names). Matmuls keep the weight [K, N]
    stationary and stream the activations transposed ([K, M]) as the moving
    matrix, so PSUM holds the output transposed with N on partitions: a bias
    along N becomes the activation engine's per-partition bias, applied with
    the activation while evacuating PSUM. Contraction runs in 128-row
    chunks accumulated in PSUM; moving tiles are at most 512 wide (one PSUM
    bank). Smaller products with M >= 128 run in rows (x^T stationary, y
    rows in PSUM). Operands stay on chip between ops where their readers
    take them from SBUF: a linear's x^T (loaded once for every linear
    reading the same view; produced as y^T by a linear read only by row-form
    linears; transposed on the PE from the rows of an auto-cast input, a
    layer norm's narrow copy or an attention's merged heads), and a
    row-form linear's output rows for a layer norm. An HBM buffer that is stored but never read is dropped with
    its stores. Element-wise ops load broadcast operands with zero-stride DMA
    views. A `graph.kernel_call` is replaced by its kernel's tile ops, and
    the traced kernel functions (`trellis.kernel`) are erased.
  }];
  let dependentDialects = ["trellis::tile::TileDialect", "mlir::func::FuncDialect"];
}

def ConvertTileToIsa : Pass<"convert-tile-to-isa", "mlir::ModuleOp"> {
  let summary = "Place buffers and lower tile ops to hardware instructions";
  let description = [{
    Places HBM tensors (inputs, outputs, constants, scratch), allocates SBUF
    and PSUM by liveness (next fit, so dead buffers are reused as late as
    possible; a PSUM tile gets a whole bank), assigns
    each op to an engine queue (DMAs round-robin over the DMA queues) and
    emits one `isa.program` per function. Instruction locations keep the
    tile op and the graph op / ONNX node they came from.
  }];
  let options = [
    Option<"target", "target", "std::string", "\"trn2\"",
           "arch config: a bundled target name or a .json path">,
  ];
  let dependentDialects = ["trellis::isa::ISADialect"];
}

def ScheduleInstructions : Pass<"trellis-schedule", "trellis::isa::ProgramOp"> {
  let summary = "Reorder each engine's queue by list scheduling on the timing model";
  let description = [{
    Engines run their queues in order, so the emitted order decides what
    overlaps. Builds the dependencies between instructions (memory conflicts
    per chunk, as trellis-insert-semaphores sees them, and the PE array's
    latched stationary operand), then list-schedules with the emulator's
    timing model: the ready instruction that can start first goes next,
    ties to the longest path to the end (through a load_stationary's
    multiply_movings, which issue with it); a DMA moves to the DMA queue that
    frees first. Buffers keep their addresses, so the results are the same
    bits. The new order is kept only if the timing model finishes it sooner.
    Programs that already carry waits or signals are left alone. Runs before
    semaphore insertion, at -O1 and above.
  }];
  let options = [
    Option<"target", "target", "std::string", "\"trn2\"",
           "arch config: a bundled target name or a .json path">,
  ];
}

def InsertSemaphores : Pass<"trellis-insert-semaphores", "trellis::isa::ProgramOp"> {
  let summary = "Order cross-engine dependencies with semaphores";
  let description = [{
    Engines only order their own queue. For every instruction that reads or
    writes bytes another queue wrote (or writes bytes another queue read),
    adds a wait on that queue's semaphore for the latest such instruction,
    and marks that instruction to signal. Memory is tracked in chunks (256
    bytes of HBM, 64 bytes of a partition; conservative: false sharing only
    adds waits), keeping
    the pass linear in the number of instructions.
  }];
}

def FuseNorm : Pass<"trellis-fuse-norm", "mlir::func::FuncOp"> {
  let summary = "Fuse decomposed layer norm, GELU and softmax into graph ops";
  let description = [{
    Rewrites the element-wise chains exporters emit into the graph ops the
    tiler maps onto a few ACT / DVE instructions per tile:

    - `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps)` with the means
      over trailing axes (squares as `pow 2` or `d * d`, the division also
      as a product with `reciprocal`) -> `graph.layer_norm`; a following
      `* g` and `+ b` that broadcast to the normalised axes become its scale
      and bias (torch.onnx.export of nn.LayerNorm before opset 17);
    - `0.5 * x * (1 + erf(x / sqrt(2)))` -> `graph.gelu`, and
      `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))` ->
      `graph.gelu tanh`, the factors in any order;
    - `exp(x - max(x)) / sum(exp(x - max(x)))` (or without the max) ->
      `graph.softmax`, and `(x - max(x)) - log(sum(exp(x - max(x))))` ->
      `graph.softmax log`, reductions with keepdims over the same axes.

    Constants match within a relative 1e-4.
  }];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

def FuseAttention : Pass<"trellis-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Fuse MatMul, scale, mask, Softmax, MatMul into graph.attention";
  let description = [{
    Rewrites `matmul(softmax(mask(scale(matmul(q, kt)))), v)`, the shape
    torch.onnx.export gives scaled dot-product attention, into
    `graph.attention(q, k, v [, mask]) {scale, causal}`:

    - the scale is a `graph.binary mul` or `div` by a scalar constant after
      the first product, or on its operands (Q pre-scaled), or both; the
      scales multiply;
    - the optional mask is a `graph.add` of a value that broadcasts to the
      scores (kept as the `mask` operand), or a `graph.select` against a
      constant condition with a fill of -inf (or <= -1e9), torch's
      `masked_fill`: a lower-triangular keep pattern becomes `causal`, any
      other constant condition an additive 0 / fill constant mask;
    - the softmax is over the last axis only and not `log`;
    - K = kt with its last two axes swapped, folded into kt's transpose.

    Every intermediate must have one use, q, k and v one rank, and all of
    them f32. Anything else is left alone.
  }];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

def AutoCast : Pass<"trellis-auto-cast", "mlir::func::FuncOp"> {
  let summary = "Mixed precision: run matmuls (or everything) in bf16, fp16 or fp8_e4m3";
  let description = [{
    neuronx-cc's `--auto-cast` / `--auto-cast-type`. With `mode=matmult`,
    the PE operands of every f32 `graph.matmul`, `graph.linear`,
    `graph.conv2d`, `graph.conv_transpose2d` and `graph.attention` (x and w;
    Q, K and V) are cast to `type`; biases, masks and results stay f32, so
    the products accumulate in fp32 in PSUM and are evacuated unrounded,
    except that a matmul, linear, convolution or attention whose result
    only feeds such a cast (the next product's operand), possibly through
    reshapes, transposes and slices that the cast then moves above (casts
    of one value hoisted there become one), writes `type`
    directly (bf16 and fp16): the evacuation rounds exactly as the cast
    would, and the f32 tensor never goes through HBM.
    With `mode=all`, additionally every other f32 tensor of the function is
    computed and stored in `type` (the engines' ALUs still compute in fp32;
    each op's result is rounded to `type` when written); function arguments
    and results keep their types, cast on entry and exit. `all` does not
    take fp8_e4m3. `mode=none` changes nothing.

    Constant operands are converted at compile time, round-to-nearest-even
    (fp8_e4m3 saturating to +-448) exactly as the engines convert, so the
    artifact stores them in the narrow type; run-time values get a
    `graph.cast`.
  }];
  let options = [
    Option<"mode", "mode", "std::string", "\"none\"", "none, matmult or all">,
    Option<"type", "type", "std::string", "\"bf16\"", "bf16, fp16 or fp8_e4m3">,
  ];
  let dependentDialects = ["trellis::graph::GraphDialect"];
}

#endif
