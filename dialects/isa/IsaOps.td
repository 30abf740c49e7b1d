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

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"

def ISA_Dialect : Dialect {
  let name = "isa";
  let cppNamespace = "::trellis::isa";
  let summary = "Trellis hardware instructions with physical addresses";
  let description = [{
    One op per hardware instruction. Every operand is an access pattern
    (`#isa.ap`) naming a memory (HBM, SBUF, PSUM), a partition range, a byte
    offset, an element type and up to four free-axis (size, stride) pairs.
    Each instruction runs on one engine queue (`pe`, `act`, `dve`, `pool`,
    `sp`, or DMA queue `qN`), may wait on other queues' semaphores and may
    signal its own queue's semaphore when it completes.
  }];
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def ISA_Opcode : I32EnumAttr<"Opcode", "instruction opcode", [
    I32EnumAttrCase<"dma", 1>,
    I32EnumAttrCase<"load_stationary", 2>,
    I32EnumAttrCase<"multiply_moving", 3>,
    I32EnumAttrCase<"activation", 4>,
    I32EnumAttrCase<"tensor_tensor", 5>,
    I32EnumAttrCase<"tensor_scalar", 6>,
    I32EnumAttrCase<"tensor_reduce", 7>,
    I32EnumAttrCase<"transpose", 8>,
    I32EnumAttrCase<"iota", 9>,
    I32EnumAttrCase<"memset", 10>,
    I32EnumAttrCase<"copy", 11>,
    I32EnumAttrCase<"nop", 12>
  ]> {
  let cppNamespace = "::trellis::isa";
  let genSpecializedAttr = 0;
}

def ISA_Space : I32EnumAttr<"Space", "memory space", [
    I32EnumAttrCase<"hbm", 0>,
    I32EnumAttrCase<"sbuf", 1>,
    I32EnumAttrCase<"psum", 2>
  ]> {
  let cppNamespace = "::trellis::isa";
  let genSpecializedAttr = 0;
}

def ISA_DType : I32EnumAttr<"DType", "element type", [
    I32EnumAttrCase<"f32", 0>,
    I32EnumAttrCase<"bf16", 1>,
    I32EnumAttrCase<"f16", 2>,
    I32EnumAttrCase<"f8e4m3", 3>,
    I32EnumAttrCase<"f8e5m2", 4>,
    I32EnumAttrCase<"i32", 5>,
    I32EnumAttrCase<"i16", 6>,
    I32EnumAttrCase<"i8", 7>,
    I32EnumAttrCase<"u8", 8>,
    I32EnumAttrCase<"u32", 9>,
    I32EnumAttrCase<"i64", 10>
  ]> {
  let cppNamespace = "::trellis::isa";
  let genSpecializedAttr = 0;
}

def ISA_EngineKind : I32EnumAttr<"EngineKind", "engine kind", [
    I32EnumAttrCase<"pe", 0>,
    I32EnumAttrCase<"act", 1>,
    I32EnumAttrCase<"dve", 2>,
    I32EnumAttrCase<"pool", 3>,
    I32EnumAttrCase<"sp", 4>,
    I32EnumAttrCase<"dma", 5>
  ]> {
  let cppNamespace = "::trellis::isa";
  let genSpecializedAttr = 0;
}

def ISA_ActFunc : I32EnumAttr<"ActFunc", "activation-engine function", [
    I32EnumAttrCase<"identity", 0>,
    I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"gelu", 2>,
    I32EnumAttrCase<"gelu_tanh", 3>,
    I32EnumAttrCase<"sigmoid", 4>,
    I32EnumAttrCase<"tanh", 5>,
    I32EnumAttrCase<"exp", 6>,
    I32EnumAttrCase<"silu", 7>,
    I32EnumAttrCase<"rsqrt", 8>,
    I32EnumAttrCase<"reciprocal", 9>,
    I32EnumAttrCase<"square", 10>,
    I32EnumAttrCase<"sqrt", 11>,
    I32EnumAttrCase<"log", 12>,
    I32EnumAttrCase<"abs", 13>,
    I32EnumAttrCase<"erf", 14>,
    I32EnumAttrCase<"softplus", 15>
  ]> {
  let cppNamespace = "::trellis::isa";
}

def ISA_AluOp : I32EnumAttr<"AluOp", "vector-engine ALU operation", [
    I32EnumAttrCase<"bypass", 0>,
    I32EnumAttrCase<"add", 1>,
    I32EnumAttrCase<"subtract", 2>,
    I32EnumAttrCase<"mult", 3>,
    I32EnumAttrCase<"divide", 4>,
    I32EnumAttrCase<"max", 5>,
    I32EnumAttrCase<"min", 6>,
    I32EnumAttrCase<"pow", 7>,
    I32EnumAttrCase<"is_equal", 8>,
    I32EnumAttrCase<"not_equal", 9>,
    I32EnumAttrCase<"is_gt", 10>,
    I32EnumAttrCase<"is_ge", 11>,
    I32EnumAttrCase<"is_lt", 12>,
    I32EnumAttrCase<"is_le", 13>,
    I32EnumAttrCase<"logical_and", 14>,
    I32EnumAttrCase<"logical_or", 15>,
    I32EnumAttrCase<"abs_max", 16>
  ]> {
  let cppNamespace = "::trellis::isa";
}

def ISA_ActFuncAttr : EnumAttr<ISA_Dialect, ISA_ActFunc, "func">;
def ISA_AluOpAttr : EnumAttr<ISA_Dialect, ISA_AluOp, "alu">;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class ISA_Attr<string name, string attrMnemonic> : AttrDef<ISA_Dialect, name> {
  let mnemonic = attrMnemonic;
}

def ISA_AccessPatternAttr : ISA_Attr<"AccessPattern", "ap"> {
  let summary = "a tensor operand: memory, partitions, offset, element type, free-axis pattern";
  let description = [{
    `#isa.ap<sbuf[P0+NP] +OFF bf16 [[S0,T0],[S1,T1]]>` addresses partitions
    P0 .. P0+NP-1 of SBUF, starting at byte OFF within each partition, with a
    free-axis access pattern of (size, stride-in-elements) pairs, outermost
    first. For HBM, OFF is the absolute byte address of element (0, 0) and
    the partition axis is an ordinary strided axis: `hbm[NP x PS]` gives its
    element stride PS.
  }];
  let parameters = (ins
    "::trellis::isa::Space":$space,
    "int64_t":$partStart,
    "int64_t":$partCount,
    "int64_t":$partStride,
    "int64_t":$offset,
    "::trellis::isa::DType":$dtype,
    ArrayRefParameter<"int64_t">:$sizes,
    ArrayRefParameter<"int64_t">:$strides
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of elements one partition touches.
    int64_t getFreeElements() const;
    /// Byte size of one element.
    int64_t getElementBytes() const;
  }];
}

def ISA_WaitAttr : ISA_Attr<"Wait", "wait"> {
  let summary = "wait until queue `queue`'s semaphore reaches `value`";
  let parameters = (ins "int64_t":$queue, "int64_t":$value);
  let assemblyFormat = "`<` custom<Queue>($queue) `>` `=` $value `>`";
}

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

def ISA_InstructionOpInterface : OpInterface<"InstructionOp"> {
  let cppNamespace = "::trellis::isa";
  let description = "A hardware instruction on one engine queue.";
  let methods = [
    StaticInterfaceMethod<"the instruction's opcode", "::trellis::isa::Opcode", "getOpcodeValue">,
    InterfaceMethod<"the queue (engine) that runs it", "int64_t", "getQueue", (ins), [{
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
    isa.dma q0 #isa.ap<sbuf[0+128] +0 f32 [[512,1]]>, #isa.ap<hbm[128x512] +4096 f32 [[512,1]]>
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
    isa.load_stationary pe #isa.ap<sbuf[0+128] +0 bf16 [[128,1]]>
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
    isa.multiply_moving pe #isa.ap<psum[0+128] +0 f32 [[512,1]]>, #isa.ap<sbuf[0+128] +0 bf16 [[512,1]]> start
    ```
  }];
}

def ISA_ActivationOp : ISA_Inst<"activation", "activation",
    (ins ISA_AP:$dst, ISA_AP:$src0, OptionalAttr<ISA_AP>:$src1,
         ISA_ActFuncAttr:$func, DefaultValuedAttr<F32Attr, "1.0">:$scale),
    "$func $dst `,` $src0 (`bias` $src1^)? (`scale` $scale^)?"> {
  let summary = "dst = func(src0 * scale + bias) on the activation engine";
  let description = [{
    `src1`, when present, is a per-partition bias column ([P, 1]).

    ```mlir
    isa.activation act relu #isa.ap<sbuf[0+128] +0 f32 [[8,1]]>, #isa.ap<psum[0+128] +0 f32 [[8,1]]> bias #isa.ap<sbuf[0+128] +64 f32 [[1,1]]>
    ```
  }];
}

def ISA_TensorTensorOp : ISA_Inst<"tensor_tensor", "tensor_tensor",
    (ins ISA_AP:$dst, ISA_AP:$src0, ISA_AP:$src1, ISA_AluOpAttr:$op0),
    "$op0 $dst `,` $src0 `,` $src1"> {
  let summary = "dst = src0 op0 src1, element-wise";
  let description = [{
    ```mlir
    isa.tensor_tensor dve add #isa.ap<sbuf[0+8] +0 f32 [[16,1]]>, #isa.ap<sbuf[0+8] +64 f32 [[16,1]]>, #isa.ap<sbuf[0+8] +128 f32 [[16,1]]>
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
    isa.tensor_scalar dve mult 2.0, add 1.0 #isa.ap<sbuf[0+8] +0 f32 [[16,1]]>, #isa.ap<sbuf[0+8] +0 f32 [[16,1]]>
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
    isa.tensor_reduce dve max #isa.ap<sbuf[0+8] +0 f32 [[1,1]]>, #isa.ap<sbuf[0+8] +64 f32 [[16,1]]>
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
    isa.transpose dve #isa.ap<sbuf[0+32] +0 f32 [[32,1]]>, #isa.ap<sbuf[0+32] +128 f32 [[32,1]]>
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
    isa.iota pool #isa.ap<sbuf[0+128] +0 i32 [[64,1]]> base 0 pstep 64 fstep 1
    ```
  }];
}

def ISA_MemsetOp : ISA_Inst<"memset", "memset",
    (ins ISA_AP:$dst, F32Attr:$imm0), "$dst `,` $imm0"> {
  let summary = "fill dst with a constant";
  let description = [{
    ```mlir
    isa.memset dve #isa.ap<sbuf[0+128] +0 f32 [[512,1]]>, 0.0
    ```
  }];
}

def ISA_CopyOp : ISA_Inst<"copy", "copy",
    (ins ISA_AP:$dst, ISA_AP:$src0), "$dst `,` $src0"> {
  let summary = "element-wise copy with cast (PSUM eviction, dtype change)";
  let description = [{
    ```mlir
    isa.copy dve #isa.ap<sbuf[0+128] +0 bf16 [[512,1]]>, #isa.ap<psum[0+128] +0 f32 [[512,1]]>
    ```
  }];
}

def ISA_NopOp : ISA_Inst<"nop", "nop", (ins), ""> {
  let summary = "no operation; carries waits and a signal";
  let description = [{
    ```mlir
    isa.nop sp wait [#isa.wait<q0 = 1>] signal
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
      isa.dma q0 #isa.ap<sbuf[0+8] +0 f32 [[16,1]]>, #isa.ap<hbm[8x16] +0 f32 [[16,1]]> signal
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
}
def ISA_TensorKindAttr : EnumAttr<ISA_Dialect, ISA_TensorKind, "tensor_kind">;

def ISA_TensorOp : ISA_Op<"tensor", [Symbol, HasParent<"ProgramOp">]> {
  let summary = "an HBM tensor: a program input, output or constant";
  let description = [{
    Places a named tensor at byte `offset` of HBM (row-major). A constant
    carries its value. `io_name` is the ONNX name of an input or output.

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
