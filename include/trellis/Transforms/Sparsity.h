//===- Sparsity.h - The structured-sparsity pass's shared helpers ---------===//
//
// What trellis-cc checks before compiling (so a bad flag is one error line)
// and the per-layer speed prediction `--sparsity-layers=auto` ranks by.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_TRANSFORMS_SPARSITY_H
#define TRELLIS_TRANSFORMS_SPARSITY_H

#include "trellis/Support/Sparsity.h"
#include "trellis/Target/ArchConfig.h"

namespace trellis {

/// Parses `pattern` ("N:M") and checks that `arch` runs it. Errors name the
/// --sparsity flag and list the target's patterns.
llvm::Expected<sparsity::Pattern> checkSparsityPattern(llvm::StringRef pattern,
                                                       const ArchConfig &arch);

/// Checks a --sparsity-layers value: "auto", empty, or a valid regex.
llvm::Error checkSparsityLayers(llvm::StringRef layers);

/// Predicted device time (ns) of a [M, K] x [K, N] matmul as the tiler
/// lowers it, dense (`p` = nullptr) or with weights compressed to `p` (K
/// padded to whole groups): max(tensor-engine time from the cost model, DMA
/// time). Weights are reloaded per 512-row block unless compressed ones stay
/// resident (tiling::sparseWeightsResident); moving tiles come once per block
/// by a strided (half-rate) DMA; the output is stored once. DMA time is the
/// larger of the bytes over the HBM rate and every transfer's fixed latency
/// plus its bytes at one engine's rate, spread over the queues.
double predictMatmulNs(int64_t M, int64_t K, int64_t N, int64_t eltBytes,
                       const sparsity::Pattern *p, const ArchConfig &arch);

/// The same for a group-1 convolution as the conv tiler lowers it: `pixels`
/// output pixels (N * OH * OW) in tiles of 512, one MM per (output-channel
/// tile, input-channel tile, tap), or dense with kernel rows packed onto
/// partitions (C * KH <= 128) per kernel column; input (`inPixels` =
/// N * H * W) and output moved once, the weights once when they fit its
/// resident budget, else per pixel tile.
double predictConvNs(int64_t pixels, int64_t inPixels, int64_t C, int64_t F, int64_t kh,
                     int64_t kw, int64_t eltBytes, const sparsity::Pattern *p,
                     const ArchConfig &arch);

} // namespace trellis

#endif
