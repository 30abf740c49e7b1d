//===- IsaOps.td - Trellis ISA: one op per hardware instruction -*- tablegen -*-===//
//
// This file is the single definition of the Trellis instruction set. The
// opcode numbers, the field names of every instruction, its assembly syntax and
// docs/isa.md all come from here: the binary codec (lib/Target/Codec) maps
// op attributes to `isa::Inst` fields by name, and the emulator executes
// `isa::Inst` by opcode.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_ISA_OPS
#define TRELLIS_ISA_OPS

include "isa/IsaBase.td"
include "mlir/IR/SymbolInterfaces.td"

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

def ISA_InstructionOpInterface : OpInterface<"InstructionOp"> {
  let cppNamespace = "::trellis::isa";
  let description = "A hardware instruction on one engine queue.";
  let methods = [
    StaticInterfaceMethod<"the instruction's opcode", "::trellis::isa::Opcode", "getOpcodeValue">,
    InterfaceMethod<"the queue (engine) that runs it", "int64_t", "getQueueId", (ins), [{
      return $_op.getQueueAttr().getInt();
    }]>,
  ];
}

class ISA_Op<string mnemonic, list<Trait> traits = []> :
    Op<ISA_Dialect, mnemonic, traits>;

def ISA_AP : Attr<CPred<"::llvm::isa<::trellis::isa::AccessPatternAttr>($_self)">, "access pattern"> {
  let storageType = "::trellis::isa::AccessPatternAttr";
  let returnType = "::trellis::isa::AccessPatternAttr";
  let convertFromStorage = "$_self";
}

// Every instruction: the queue that runs it, the semaphores it waits on, and
// whether it increments its queue's semaphore on completion.
defvar ISA_CommonArgs = (ins
  I64Attr:$queue,
  DefaultValuedAttr<TypedArrayAttrBase<ISA_WaitAttr, "waits">, "{}">:$waits,
  UnitAttr:$signal
);
defvar ISA_CommonFormat = "custom<Queue>($queue) (`wait` $waits^)? (`signal` $signal^)?";

class ISA_Inst<string mnemonic, string opcode, dag fields, string fieldFormat,
               list<Trait> traits = []> :
    ISA_Op<mnemonic, traits # [DeclareOpInterfaceMethods<ISA_InstructionOpInterface>]> {
  let arguments = !con(ISA_CommonArgs, fields);
  let assemblyFormat = ISA_CommonFormat # " " # fieldFormat # " attr-dict";
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::trellis::isa::Opcode $cppClass::getOpcodeValue() {
      return ::trellis::isa::Opcode::}] # opcode # [{;
    }
  }];
}

def ISA_DmaOp : ISA_Inst<"dma", "dma",
    (ins ISA_AP:$dst, ISA_AP:$src0), "$dst `,` $src0"> {
  let summary = "DMA transfer between HBM and SBUF, or SBUF and SBUF";
  let description = [{
    Copies `src0` to `dst` element by element (casting through fp32 when the
    element types differ). Runs on a DMA queue.

    ```mlir
    isa.dma q0 <sbuf[0+128] +0 f32 [[512,1]]>, <hbm[128x512] +4096 f32 [[512,1]]>
    ```
  }];
}

def ISA_DmaGatherOp : ISA_Inst<"dma_gather", "dma_gather",
    (ins ISA_AP:$dst, ISA_AP:$src0, ISA_AP:$src1), "$dst `,` $src0 `,` $src1"> {
  let summary = "indirect DMA: row `src1[p]` of the HBM table `src0` into partition p of `dst`";
  let description = [{
    `src0` describes the table: its partition axis is the row axis (rows
    `partStride` elements apart, `partCount` of them), its free pattern one
    row. `src1` is an SBUF column [P, 1] of i32 or i64 row indices, `dst` an
    SBUF tile [P, row]. An index outside [0, partCount) stops the program
    with an error. Runs on a DMA queue (NKI's indirect load, as used for
    embedding lookups).

    ```mlir
    isa.dma_gather q0 <sbuf[0+4] +0 f32 [[64,1]]>, <hbm[0+1000 x 64] +0 f32 [[64,1]]>, <sbuf[0+4] +256 i64 [[1,1]]>
    ```
  }];
}

def ISA_LoadStationaryOp : ISA_Inst<"load_stationary", "load_stationary",
    (ins ISA_AP:$src0), "$src0"> {
  let summary = "load the stationary (weight) matrix [K, M] into the PE array";
  let description = [{
    Caches `src0` (SBUF, K partitions x M elements, K, M <= 128) in the PE
    array for the following `multiply_moving` instructions.

    ```mlir
    isa.load_stationary pe <sbuf[0+128] +0 bf16 [[128,1]]>
    ```
  }];
}

def ISA_MultiplyMovingOp : ISA_Inst<"multiply_moving", "multiply_moving",
    (ins ISA_AP:$dst, ISA_AP:$src0, UnitAttr:$start),
    "$dst `,` $src0 (`start` $start^)?"> {
  let summary = "stream the moving matrix through the PE array into PSUM";
  let description = [{
    `dst[M, N] (+)= stationary[K, M]^T @ src0[K, N]`, accumulating in fp32.
    With `start`, the PSUM region is overwritten instead of accumulated.

    ```mlir
    isa.multiply_moving pe <psum[0+128] +0 f32 [[512,1]]>, <sbuf[0+128] +0 bf16 [[512,1]]> start
    ```
  }];
}

def ISA_LoadStationarySparseOp : ISA_Inst<"load_stationary_sparse", "load_stationary_sparse",
    (ins ISA_AP:$src0, ISA_AP:$src1, I64Attr:$keep, I64Attr:$group),
    "$src0 `,` $src1 `keep` $keep `group` $group"> {
  let summary = "load a compressed N:M structured-sparse stationary matrix";
  let description = [{
    `src0` holds the compressed values [Kc <= 128, M <= 128] (row
    g*keep + j = the j-th kept element of contraction group g), `src1` the
    tags [Kc, ceil(M / 4)] i16: each value's 4-bit position within its group
    of `group` contraction rows, four per 16-bit word along M (column 4w + i in
    bits [4i, 4i + 4) of word w). The latched matrix is the dense
    [Kc / keep * group, M] with zeros at the untagged positions (docs/sparsity.md).
    Patterns (keep:group) are the target's `sparsity` list.

    ```mlir
    isa.load_stationary_sparse pe <sbuf[0+128] +0 bf16 [[128,1]]>, <sbuf[0+128] +256 i16 [[32,1]]> keep 2 group 4
    ```
  }];
}

def ISA_MultiplyMovingSparseOp : ISA_Inst<"multiply_moving_sparse", "multiply_moving_sparse",
    (ins ISA_AP:$dst, ISA_AP:$src0, I64Attr:$keep, I64Attr:$group, UnitAttr:$start),
    "$dst `,` $src0 `keep` $keep `group` $group (`start` $start^)?"> {
  let summary = "stream the moving matrix [Kc, ratio, N] through a sparse stationary";
  let description = [{
    `dst[M, N] (+)= stationary[Kc / keep * group, M]^T @ moving`, where the
    moving matrix of Kc * ratio rows (ratio = group / keep) is read as
    `src0` = [Kc partitions, ratio * N]: partition p holds rows p*ratio ..
    p*ratio + ratio - 1, N elements each. The stationary must have been
    latched by `load_stationary_sparse` with the same pattern. Up to
    `ratio` times the work of a dense `multiply_moving` in the same cycles.

    ```mlir
    isa.multiply_moving_sparse pe <psum[0+128] +0 f32 [[512,1]]>, <sbuf[0+128] +0 bf16 [[1024,1]]> keep 2 group 4 start
    ```
  }];
}

def ISA_ActivationOp : ISA_Inst<"activation", "activation",
    (ins ISA_AP:$dst, ISA_AP:$src0, OptionalAttr<ISA_AP>:$src1,
         ISA_ActFuncAttr:$func, DefaultValuedAttr<F32Attr, "1.0">:$scale,
         OptionalAttr<ISA_AP>:$accum),
    "$func $dst `,` $src0 (`bias` $src1^)? (`scale` $scale^)? (`accum` $accum^)?"> {
  let summary = "dst = func(src0 * scale + bias) on the activation engine";
  let description = [{
    `src1`, when present, is a per-partition bias column ([P, 1]). With
    `accum`, the engine also sums each partition's results (in fp32, before
    rounding to dst's type) along the free axis into the [P, 1] column
    `accum`, at no extra cost: softmax's exp-and-sum in one instruction.

    ```mlir
    isa.activation act relu <sbuf[0+128] +0 f32 [[8,1]]>, <psum[0+128] +0 f32 [[8,1]]> bias <sbuf[0+128] +64 f32 [[1,1]]>
    ```
  }];
}

def ISA_TensorTensorOp : ISA_Inst<"tensor_tensor", "tensor_tensor",
    (ins ISA_AP:$dst, ISA_AP:$src0, ISA_AP:$src1, ISA_AluOpAttr:$op0),
    "$op0 $dst `,` $src0 `,` $src1"> {
  let summary = "dst = src0 op0 src1, element-wise";
  let description = [{
    ```mlir
    isa.tensor_tensor dve add <sbuf[0+8] +0 f32 [[16,1]]>, <sbuf[0+8] +64 f32 [[16,1]]>, <sbuf[0+8] +128 f32 [[16,1]]>
    ```
  }];
}

def ISA_TensorScalarOp : ISA_Inst<"tensor_scalar", "tensor_scalar",
    (ins ISA_AP:$dst, ISA_AP:$src0, ISA_AluOpAttr:$op0, F32Attr:$imm0,
         DefaultValuedAttr<ISA_AluOpAttr, "::trellis::isa::AluOp::bypass">:$op1,
         DefaultValuedAttr<F32Attr, "0.0">:$imm1),
    "$op0 $imm0 `,` $op1 $imm1 $dst `,` $src0"> {
  let summary = "dst = (src0 op0 imm0) op1 imm1, element-wise";
  let description = [{
    ```mlir
    isa.tensor_scalar dve mult 2.0, add 1.0 <sbuf[0+8] +0 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
    ```
  }];
}

def ISA_TensorReduceOp : ISA_Inst<"tensor_reduce", "tensor_reduce",
    (ins ISA_AP:$dst, ISA_AP:$src0, ISA_AluOpAttr:$op0),
    "$op0 $dst `,` $src0"> {
  let summary = "reduce the innermost free axis of src0 with op0";
  let description = [{
    `dst` has the free shape of `src0` without its innermost axis.

    ```mlir
    isa.tensor_reduce dve max <sbuf[0+8] +0 f32 [[1,1]]>, <sbuf[0+8] +64 f32 [[16,1]]>
    ```
  }];
}

def ISA_TransposeOp : ISA_Inst<"transpose", "transpose",
    (ins ISA_AP:$dst, ISA_AP:$src0), "$dst `,` $src0"> {
  let summary = "transpose 32x32 blocks on the vector engine";
  let description = [{
    `dst[f, p] = src0[p, f]` for a source of at most 32 partitions and 32
    elements, both aligned to a 32-partition group.

    ```mlir
    isa.transpose dve <sbuf[0+32] +0 f32 [[32,1]]>, <sbuf[0+32] +128 f32 [[32,1]]>
    ```
  }];
}

def ISA_IotaOp : ISA_Inst<"iota", "iota",
    (ins ISA_AP:$dst, I64Attr:$base, I64Attr:$pstep, I64Attr:$fstep),
    "$dst `base` $base `pstep` $pstep `fstep` $fstep"> {
  let summary = "dst[p, f] = base + p * pstep + f * fstep";
  let description = [{
    `f` is the linear index over the free axes.

    ```mlir
    isa.iota pool <sbuf[0+128] +0 i32 [[64,1]]> base 0 pstep 64 fstep 1
    ```
  }];
}

def ISA_MemsetOp : ISA_Inst<"memset", "memset",
    (ins ISA_AP:$dst, F32Attr:$imm0), "$dst `,` $imm0"> {
  let summary = "fill dst with a constant";
  let description = [{
    ```mlir
    isa.memset dve <sbuf[0+128] +0 f32 [[512,1]]>, 0.0
    ```
  }];
}

def ISA_CopyOp : ISA_Inst<"copy", "copy",
    (ins ISA_AP:$dst, ISA_AP:$src0), "$dst `,` $src0"> {
  let summary = "element-wise copy with cast (PSUM eviction, dtype change)";
  let description = [{
    ```mlir
    isa.copy dve <sbuf[0+128] +0 bf16 [[512,1]]>, <psum[0+128] +0 f32 [[512,1]]>
    ```
  }];
}

def ISA_NopOp : ISA_Inst<"nop", "nop", (ins), ""> {
  let summary = "no operation; carries waits and a signal";
  let description = [{
    ```mlir
    isa.nop sp wait [#isa.wait<q0, 1>] signal
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Program structure
//===----------------------------------------------------------------------===//

def ISA_ProgramOp : ISA_Op<"program", [SymbolTable, NoTerminator, SingleBlock, IsolatedFromAbove, Symbol]> {
  let summary = "a compiled program: tensors, constants and instructions";
  let description = [{
    Holds `isa.tensor` declarations and instructions in program order. The
    instruction stream of one queue is the sub-sequence of instructions on it.
    `hbm_size` is the number of HBM bytes the program uses.

    ```mlir
    isa.program @main attributes {hbm_size = 4096 : i64} {
      isa.tensor @x input 0 : tensor<8x16xf32>
      isa.dma q0 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[8x16] +0 f32 [[16,1]]> signal
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$hbm_size);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
}

def ISA_TensorKind : I32EnumAttr<"TensorKind", "HBM tensor role", [
    I32EnumAttrCase<"input", 0>,
    I32EnumAttrCase<"output", 1>,
    I32EnumAttrCase<"constant", 2>
  ]> {
  let cppNamespace = "::trellis::isa";
  let genSpecializedAttr = 0;
}
def ISA_TensorKindAttr : EnumAttr<ISA_Dialect, ISA_TensorKind, "tensor_kind">;

def ISA_TensorOp : ISA_Op<"tensor", [Symbol, HasParent<"ProgramOp">]> {
  let summary = "an HBM tensor: a program input, output or constant";
  let description = [{
    Places a named tensor at byte `offset` of HBM (row-major). A constant
    carries its value (a disassembly omits it). `io_name` is the ONNX name of
    an input or output.

    ```mlir
    isa.tensor @w constant 4096 : tensor<2x2xf32> = dense<1.0>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, ISA_TensorKindAttr:$kind,
                       I64Attr:$offset, TypeAttr:$type,
                       OptionalAttr<StrAttr>:$io_name,
                       OptionalAttr<ElementsAttr>:$value);
  let assemblyFormat = [{
    $sym_name $kind $offset `:` $type (`name` $io_name^)? (`=` $value^)? attr-dict
  }];
  let hasVerifier = 1;
}

#endif // TRELLIS_ISA_OPS
