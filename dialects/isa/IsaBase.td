//===- IsaBase.td - Trellis ISA dialect, enums and attributes -*- tablegen -*-===//
//
// Part of the single ISA definition (see IsaOps.td). Also included by the
// tile dialect, which reuses the activation functions, ALU operations,
// memory spaces and engine kinds.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_ISA_BASE
#define TRELLIS_ISA_BASE

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
    I32EnumAttrCase<"nop", 12>,
    I32EnumAttrCase<"dma_gather", 13>,
    I32EnumAttrCase<"load_stationary_sparse", 14>,
    I32EnumAttrCase<"multiply_moving_sparse", 15>
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
  let genSpecializedAttr = 0;
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
  let genSpecializedAttr = 0;
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
    `<sbuf[P0+NP] +OFF bf16 [[S0,T0],[S1,T1]]>` (written `#isa.ap<...>` outside an instruction) addresses partitions
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
  let assemblyFormat = "`<` custom<Queue>($queue) `,` $value `>`";
}

#endif // TRELLIS_ISA_BASE
