//===- TileOps.td - Trellis tile dialect ---------------------*- tablegen -*-===//
//
// The NKI level: buffers in HBM / SBUF / PSUM (memrefs whose memory space is
// #tile.mem<...>) and one op per engine-level tile operation, in
// destination-passing style. Every tensor operand is a buffer plus a
// #tile.view naming the partitions and the free-axis access pattern used.
// Both the compiler's tiling and hand-written kernels produce this dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_TILE_OPS
#define TRELLIS_TILE_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonTypeConstraints.td"
include "isa/IsaBase.td"

def Tile_Dialect : Dialect {
  let name = "tile";
  let cppNamespace = "::trellis::tile";
  let summary = "Tiles in HBM, SBUF and PSUM and the engine operations on them";
  let description = [{
    A tile's axis 0 is the partition axis (at most 128 partitions in SBUF and
    PSUM); the remaining axes are free axes. Ops read and write buffers in
    place through views; `tile.alloc` creates on-chip and HBM scratch buffers
    and `--convert-tile-to-isa` gives them addresses.
  }];
  let useDefaultAttributePrinterParser = 1;
}

def Tile_MemAttr : EnumAttr<Tile_Dialect, ISA_Space, "mem"> {
  let summary = "memory space of a buffer";
  let cppNamespace = "::trellis::tile";
  let assemblyFormat = "`<` $value `>`";
}

def Tile_ViewAttr : AttrDef<Tile_Dialect, "View"> {
  let mnemonic = "view";
  let summary = "the part of a buffer an operand reads or writes";
  let description = [{
    `<[P0+NP] +OFF [[S0,T0],...]>`: partitions P0 .. P0+NP-1 of an
    on-chip buffer, starting at element OFF of each partition, walking the
    free axes with (size, stride) pairs in elements, outermost first. On an
    HBM buffer the partition axis is an ordinary axis with an element stride:
    `<[P0+NP x PS] +OFF [...]>`, and OFF counts elements from the
    buffer's start.
  }];
  let parameters = (ins "int64_t":$partStart, "int64_t":$partCount, "int64_t":$partStride,
                        "int64_t":$offset, ArrayRefParameter<"int64_t">:$sizes,
                        ArrayRefParameter<"int64_t">:$strides);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getFreeElements() const;
  }];
}

def Tile_ActFuncAttr : EnumAttr<Tile_Dialect, ISA_ActFunc, "func"> {
  let cppNamespace = "::trellis::tile";
}
def Tile_AluOpAttr : EnumAttr<Tile_Dialect, ISA_AluOp, "alu"> {
  let cppNamespace = "::trellis::tile";
}

def Tile_EngineAttr : EnumAttr<Tile_Dialect, ISA_EngineKind, "engine"> {
  let cppNamespace = "::trellis::tile";
  let assemblyFormat = "`<` $value `>`";
}

def Tile_Buffer : MemRefOf<[AnyType]>;

class Tile_Op<string mnemonic, list<Trait> traits = []> :
    Op<Tile_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

def Tile_AllocOp : Tile_Op<"alloc"> {
  let summary = "a buffer in HBM, SBUF or PSUM";
  let description = [{
    SBUF and PSUM buffers have at most 128 partitions (axis 0); a PSUM buffer
    fits one 2 KiB bank per partition (512 fp32).

    ```mlir
    %t = tile.alloc : memref<128x512xf32, #tile.mem<psum>>
    ```
  }];
  let results = (outs Tile_Buffer:$buffer);
  let assemblyFormat = "attr-dict `:` type($buffer)";
}

def Tile_ConstantOp : Tile_Op<"constant"> {
  let summary = "a constant tensor in HBM (weights)";
  let description = [{
    ```mlir
    %w = tile.constant dense<1.0> : tensor<4x4xf32> -> memref<4x4xf32, #tile.mem<hbm>>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Tile_Buffer:$buffer);
  let assemblyFormat = "$value attr-dict `->` type($buffer)";
}

def Tile_LoadOp : Tile_Op<"load"> {
  let summary = "DMA from HBM into SBUF";
  let description = [{
    ```mlir
    tile.load %sb <[0+8] +0 [[16,1]]>, %x <[0+8 x 16] +0 [[16,1]]> : memref<8x16xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<hbm>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$src, Tile_ViewAttr:$srcView);
  let assemblyFormat = "$dst $dstView `,` $src $srcView attr-dict `:` type($dst) `,` type($src)";
}

def Tile_LoadGatherOp : Tile_Op<"load_gather"> {
  let summary = "indirect DMA: dst[p, :] = row indices[p] of an HBM table";
  let description = [{
    The table view's partition axis is the row axis (`[0+ROWS x ROWSTRIDE]`),
    its free pattern one row. `indices` is an SBUF column [P, 1] of i32 or
    i64; each must lie in [0, ROWS) when the program runs.

    ```mlir
    tile.load_gather %d <[0+4] +0 [[64,1]]>, %table <[0+1000 x 64] +0 [[64,1]]>, %idx <[0+4] +0 [[1,1]]> : memref<4x64xf32, #tile.mem<sbuf>>, memref<1000x64xf32, #tile.mem<hbm>>, memref<4x1xi64, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$table, Tile_ViewAttr:$tableView,
                       Tile_Buffer:$indices, Tile_ViewAttr:$indicesView);
  let assemblyFormat = [{
    $dst $dstView `,` $table $tableView `,` $indices $indicesView attr-dict
    `:` type($dst) `,` type($table) `,` type($indices)
  }];
}

def Tile_StoreOp : Tile_Op<"store"> {
  let summary = "DMA from SBUF into HBM";
  let description = [{
    ```mlir
    tile.store %y <[0+8 x 16] +0 [[16,1]]>, %sb <[0+8] +0 [[16,1]]> : memref<8x16xf32, #tile.mem<hbm>>, memref<8x16xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$src, Tile_ViewAttr:$srcView);
  let assemblyFormat = "$dst $dstView `,` $src $srcView attr-dict `:` type($dst) `,` type($src)";
}

def Tile_MatmulOp : Tile_Op<"matmul"> {
  let summary = "psum[M,N] (+)= stationary[K,M]^T @ moving[K,N] on the PE array";
  let description = [{
    K <= 128 partitions, M <= 128, N <= 512. Inputs in SBUF, output in PSUM
    (fp32). `start` overwrites the PSUM region; without it the product is
    accumulated.

    ```mlir
    tile.matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+128] +0 [[128,1]]>, %x <[0+128] +0 [[8,1]]> start : memref<128x8xf32, #tile.mem<psum>>, memref<128x128xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$psum, Tile_ViewAttr:$psumView,
                       Tile_Buffer:$stationary, Tile_ViewAttr:$stationaryView,
                       Tile_Buffer:$moving, Tile_ViewAttr:$movingView,
                       UnitAttr:$start);
  let assemblyFormat = [{
    $psum $psumView `,` $stationary $stationaryView `,` $moving $movingView (`start` $start^)? attr-dict
    `:` type($psum) `,` type($stationary) `,` type($moving)
  }];
}

def Tile_SparseMatmulOp : Tile_Op<"sparse_matmul"> {
  let summary = "psum[M,N] (+)= decompress(values, tags)^T @ moving on the PE array, N:M sparse";
  let description = [{
    The stationary is an N:M structured-sparse matrix (`keep` of every
    `group` contraction rows), compressed: `values` [Kc <= 128, M <= 128] and
    `tags` [Kc, ceil(M / 4)] i16, each value's 4-bit position in its group,
    four per word (docs/sparsity.md). `moving` is the dense [Kc * ratio, N]
    matrix (ratio = group / keep) read as [Kc, ratio * N]: partition p holds
    rows p*ratio .. p*ratio + ratio - 1. N <= 512; output in PSUM (fp32).
    Lowers to `load_stationary_sparse` + `multiply_moving_sparse`.

    ```mlir
    tile.sparse_matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+64] +0 [[128,1]]>, %t <[0+64] +0 [[32,1]]>, %x <[0+64] +0 [[16,1]]> keep 2 group 4 start : memref<128x8xf32, #tile.mem<psum>>, memref<64x128xbf16, #tile.mem<sbuf>>, memref<64x32xi16, #tile.mem<sbuf>>, memref<64x16xbf16, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$psum, Tile_ViewAttr:$psumView,
                       Tile_Buffer:$values, Tile_ViewAttr:$valuesView,
                       Tile_Buffer:$tags, Tile_ViewAttr:$tagsView,
                       Tile_Buffer:$moving, Tile_ViewAttr:$movingView,
                       I64Attr:$keep, I64Attr:$group, UnitAttr:$start);
  let assemblyFormat = [{
    $psum $psumView `,` $values $valuesView `,` $tags $tagsView `,` $moving $movingView
    `keep` $keep `group` $group (`start` $start^)? attr-dict
    `:` type($psum) `,` type($values) `,` type($tags) `,` type($moving)
  }];
}

def Tile_ActivationOp : Tile_Op<"activation", [AttrSizedOperandSegments]> {
  let summary = "dst = func(src * scale + bias) on the activation engine";
  let description = [{
    The optional bias is a [P, 1] column: one value per partition. The
    optional accum [P, 1] receives the sum of each partition's results along
    the free axis (fp32), in the same instruction.

    ```mlir
    tile.activation relu %o <[0+128] +0 [[8,1]]>, %ps <[0+128] +0 [[8,1]]> bias %b <[0+128] +0 [[1,1]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<psum>>, memref<128x1xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_ActFuncAttr:$func, Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$src, Tile_ViewAttr:$srcView,
                       Optional<Tile_Buffer>:$bias, OptionalAttr<Tile_ViewAttr>:$biasView,
                       DefaultValuedAttr<F32Attr, "1.0">:$scale,
                       Optional<Tile_Buffer>:$accum, OptionalAttr<Tile_ViewAttr>:$accumView);
  let assemblyFormat = [{
    $func $dst $dstView `,` $src $srcView (`bias` $bias^ $biasView)? (`scale` $scale^)?
    (`accum` $accum^ $accumView)? attr-dict
    `:` type($dst) `,` type($src) (`,` type($bias)^)? (`accum` type($accum)^)?
  }];
}

def Tile_TensorTensorOp : Tile_Op<"tensor_tensor"> {
  let summary = "dst = a op b, element-wise (vector or gpsimd engine)";
  let description = [{
    ```mlir
    tile.tensor_tensor add %c <[0+8] +0 [[16,1]]>, %a <[0+8] +0 [[16,1]]>, %b <[0+8] +0 [[16,1]]> : memref<8x16xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_AluOpAttr:$op, Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$lhs, Tile_ViewAttr:$lhsView,
                       Tile_Buffer:$rhs, Tile_ViewAttr:$rhsView,
                       OptionalAttr<Tile_EngineAttr>:$engine);
  let assemblyFormat = [{
    $op $dst $dstView `,` $lhs $lhsView `,` $rhs $rhsView attr-dict
    `:` type($dst) `,` type($lhs) `,` type($rhs)
  }];
}

def Tile_TensorScalarOp : Tile_Op<"tensor_scalar"> {
  let summary = "dst = (src op0 imm0) op1 imm1, element-wise";
  let description = [{
    ```mlir
    tile.tensor_scalar mult 2.0, add 1.0 %d <[0+8] +0 [[16,1]]>, %s <[0+8] +0 [[16,1]]> : memref<8x16xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_AluOpAttr:$op0, F32Attr:$imm0, Tile_AluOpAttr:$op1, F32Attr:$imm1,
                       Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$src, Tile_ViewAttr:$srcView,
                       OptionalAttr<Tile_EngineAttr>:$engine);
  let assemblyFormat = [{
    $op0 $imm0 `,` $op1 $imm1 $dst $dstView `,` $src $srcView attr-dict `:` type($dst) `,` type($src)
  }];
}

def Tile_TensorReduceOp : Tile_Op<"tensor_reduce"> {
  let summary = "reduce the innermost free axis of src with op";
  let description = [{
    ```mlir
    tile.tensor_reduce max %d <[0+8] +0 [[1,1]]>, %s <[0+8] +0 [[16,1]]> : memref<8x1xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_AluOpAttr:$op, Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$src, Tile_ViewAttr:$srcView,
                       OptionalAttr<Tile_EngineAttr>:$engine);
  let assemblyFormat = "$op $dst $dstView `,` $src $srcView attr-dict `:` type($dst) `,` type($src)";
}

def Tile_TransposeOp : Tile_Op<"transpose"> {
  let summary = "dst[f, p] = src[p, f] for a block of at most 32x32 (vector engine)";
  let description = [{
    ```mlir
    tile.transpose %d <[0+16] +0 [[8,1]]>, %s <[0+8] +0 [[16,1]]> : memref<16x8xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$src, Tile_ViewAttr:$srcView);
  let assemblyFormat = "$dst $dstView `,` $src $srcView attr-dict `:` type($dst) `,` type($src)";
}

def Tile_IotaOp : Tile_Op<"iota"> {
  let summary = "dst[p, f] = base + p * pstep + f * fstep";
  let description = [{
    ```mlir
    tile.iota %d <[0+8] +0 [[16,1]]> base 0 pstep 16 fstep 1 : memref<8x16xi32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$dst, Tile_ViewAttr:$dstView, I64Attr:$base,
                       I64Attr:$pstep, I64Attr:$fstep);
  let assemblyFormat = "$dst $dstView `base` $base `pstep` $pstep `fstep` $fstep attr-dict `:` type($dst)";
}

def Tile_MemsetOp : Tile_Op<"memset"> {
  let summary = "fill a view with a constant";
  let description = [{
    ```mlir
    tile.memset %d <[0+8] +0 [[16,1]]>, 0.0 : memref<8x16xf32, #tile.mem<sbuf>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$dst, Tile_ViewAttr:$dstView, F32Attr:$value,
                       OptionalAttr<Tile_EngineAttr>:$engine);
  let assemblyFormat = "$dst $dstView `,` $value attr-dict `:` type($dst)";
}

def Tile_CopyOp : Tile_Op<"copy"> {
  let summary = "element-wise copy with cast between on-chip buffers";
  let description = [{
    ```mlir
    tile.copy %d <[0+8] +0 [[16,1]]>, %s <[0+8] +0 [[16,1]]> : memref<8x16xbf16, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<psum>>
    ```
  }];
  let arguments = (ins Tile_Buffer:$dst, Tile_ViewAttr:$dstView,
                       Tile_Buffer:$src, Tile_ViewAttr:$srcView,
                       OptionalAttr<Tile_EngineAttr>:$engine);
  let assemblyFormat = "$dst $dstView `,` $src $srcView attr-dict `:` type($dst) `,` type($src)";
}

#endif // TRELLIS_TILE_OPS
