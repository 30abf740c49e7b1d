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
/// lowers it (weights reloaded per 512-row block, moving tiles loaded once
/// per block by a strided DMA, output stored once), dense (`p` = nullptr)
/// or with weights compressed to `p`: max(tensor-engine time from the cost
/// model, bytes over HBM at the DMA rate the cost model would charge).
double predictMatmulNs(int64_t M, int64_t K, int64_t N, int64_t eltBytes,
                       const sparsity::Pattern *p, const ArchConfig &arch);

} // namespace trellis

#endif
