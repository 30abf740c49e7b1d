//===- Sparsity.cpp - N:M structured sparsity of constant weights --------===//
//
// See Passes.td (trellis-sparsity) and docs/sparsity.md.
//
//===----------------------------------------------------------------------===//

#include "trellis/Transforms/Sparsity.h"
#include "trellis/Conversion/Tiling.h"
#include "trellis/Emulator/CostModel.h"
#include "trellis/Support/FileIO.h"
#include "trellis/Transforms/Passes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Regex.h"

#define DEBUG_TYPE "trellis-sparsity"

namespace trellis {
#define GEN_PASS_DEF_SPARSITY
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;

static constexpr llvm::StringLiteral kSparsityAttr = "trellis.sparsity";

llvm::Expected<sparsity::Pattern> trellis::checkSparsityPattern(StringRef text,
                                                                const ArchConfig &arch) {
  auto p = sparsity::parsePattern(text);
  if (!p)
    return llvm::createStringError("--sparsity=%s: %s", text.str().c_str(),
                                   llvm::toString(p.takeError()).c_str());
  if (arch.sparsityPatterns.empty())
    return llvm::createStringError("--sparsity=%s: target %s has no structured sparsity (its "
                                   "\"sparsity\" list is empty)",
                                   text.str().c_str(), arch.name.c_str());
  if (!llvm::is_contained(arch.sparsityPatterns, p->str()))
    return llvm::createStringError("--sparsity=%s: target %s runs only %s", text.str().c_str(),
                                   arch.name.c_str(),
                                   llvm::join(arch.sparsityPatterns, " ").c_str());
  return *p;
}

llvm::Error trellis::checkSparsityLayers(StringRef layers) {
  if (layers.empty() || layers == "auto")
    return llvm::Error::success();
  std::string err;
  if (!llvm::Regex(layers).isValid(err))
    return llvm::createStringError("--sparsity-layers=%s: invalid regex: %s",
                                   layers.str().c_str(), err.c_str());
  return llvm::Error::success();
}

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Tensor-engine time of one MM of `cols` moving columns (cost model).
double mmNs(int64_t cols, int64_t eltBytes, const sparsity::Pattern *p, const ArchConfig &arch) {
  isa::Inst mm;
  mm.opcode = p ? isa::Opcode::multiply_moving_sparse : isa::Opcode::multiply_moving;
  mm.src0.partCount = tiling::kPartitions;
  mm.src0.dtype = eltBytes == 4 ? isa::DType::f32 : isa::DType::bf16;
  mm.src0.sizes = {(p ? p->ratio() : 1) * cols};
  mm.src0.strides = {1};
  if (p) {
    mm.keep = p->keep;
    mm.group = p->group;
  }
  return double(emu::multiplyMovingCycles(mm, arch)) / arch.peClockGHz;
}

/// The DMA side of a layer: bytes over the HBM rate, or, when there are
/// many transfers, each paying the fixed latency on one of the queues.
struct DmaTally {
  double bytes = 0;
  int64_t transfers = 0;
  void add(double b, int64_t n) {
    bytes += b;
    transfers += n;
  }
  double ns(const ArchConfig &arch) const {
    double bw = std::min(arch.hbmGBps, arch.dmaEngineGBps * double(arch.dmaEngines));
    double queued = (double(transfers) * arch.dmaFixedLatencyNs +
                     bytes / arch.dmaEngineGBps) /
                    double(std::max<int64_t>(1, arch.dmaQueues));
    return std::max(bytes / bw, queued);
  }
};

} // namespace

double trellis::predictMatmulNs(int64_t M, int64_t K, int64_t N, int64_t eltBytes,
                                const sparsity::Pattern *p, const ArchConfig &arch) {
  using namespace tiling;
  int64_t ratio = p ? p->ratio() : 1;
  int64_t rows = p ? int64_t(llvm::alignTo(K, p->group)) / ratio : K;
  int64_t kTiles = ceilDiv(rows, kPartitions), nTiles = ceilDiv(N, kPartitions);
  bool resident = p && sparseWeightsResident(M, rows, N, eltBytes);
  int64_t group = rowBlocksPerGroup(M, kTiles, ratio, eltBytes, p && !resident);
  // Full K tiles of a dense column block per weight DMA.
  int64_t chunk = std::max<int64_t>(1, kEfficientDmaBytes / (std::min(N, kPartitions) * eltBytes));
  double peNs = 0;
  DmaTally dma;
  for (int64_t m0 = 0, bi = 0; m0 < M; m0 += kMovingMax, ++bi) {
    int64_t mt = std::min(kMovingMax, M - m0);
    // One MM per (128-column weight tile, 128-partition K tile).
    peNs += double(nTiles * kTiles) * mmNs(mt, eltBytes, p, arch);
    // Weights once per group of row blocks unless resident: dense in DMAs
    // of `chunk` K tiles; compressed values + 2-byte tag words per 4
    // columns, two DMAs per column block.
    if (bi % group == 0 && (!resident || m0 == 0)) {
      if (p)
        dma.add(double(rows * N * eltBytes + rows * ceilDiv(N, 4) * 2), 2 * nTiles);
      else
        dma.add(double(K * N * eltBytes), nTiles * ceilDiv(kTiles, chunk));
    }
    // The transposing moving load runs at half rate: count it twice.
    dma.add(2.0 * double(mt * K * eltBytes), kTiles);
    dma.add(double(mt * N * eltBytes), nTiles); // the output
  }
  return std::max(peNs, dma.ns(arch));
}

double trellis::predictConvNs(int64_t pixels, int64_t inPixels, int64_t C, int64_t F,
                              int64_t kh, int64_t kw, int64_t eltBytes,
                              const sparsity::Pattern *p, const ArchConfig &arch) {
  using namespace tiling;
  int64_t ratio = p ? p->ratio() : 1, taps = kh * kw;
  int64_t cinTiles = ceilDiv(C, kPartitions * ratio), coutTiles = ceilDiv(F, kPartitions);
  // The dense tiler folds kernel rows into the contraction when C * KH fits
  // the partitions: one MM per kernel column.
  int64_t mmTaps = !p && kh > 1 && C * kh <= kPartitions ? kw : taps;
  double peNs = 0;
  int64_t pixelTiles = 0;
  for (int64_t m0 = 0; m0 < pixels; m0 += kMovingMax, ++pixelTiles)
    peNs += double(coutTiles * cinTiles * mmTaps) *
            mmNs(std::min(kMovingMax, pixels - m0), eltBytes, p, arch);
  // Weights (compressed: values + tag words) are loaded once when they fit
  // the conv tiler's resident budget per partition, else per pixel tile.
  // Input slabs come in once, channels on partitions (no transposing DMA).
  int64_t rowBytes = F * eltBytes + (p ? ceilDiv(F, 4) * 2 : 0);
  bool resident = cinTiles * taps * rowBytes <= kConvResidentWeightBytes;
  int64_t weightTiles = cinTiles * coutTiles * (p ? 2 : 1);
  DmaTally dma;
  dma.add(double(taps * ceilDiv(C, ratio) * rowBytes) * (resident ? 1 : pixelTiles),
          weightTiles * (resident ? 1 : pixelTiles));
  dma.add(double(inPixels * C * eltBytes), pixelTiles * cinTiles);
  dma.add(double(pixels * F * eltBytes), pixelTiles * coutTiles);
  return std::max(peNs, dma.ns(arch));
}

namespace {

/// The ONNX node name of an op: the first NameLoc along its location.
std::string nodeName(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      name = n.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

struct Layer {
  std::string name, op, status;
  int64_t M = 0, K = 0, N = 0;
  double kept = 0, speedup = 0;
  bool sparse = false;
};

/// A constant weight seen as the matrix W[K, N] the PE contracts over K:
/// a linear / matmul weight as it is; a convolution's w[F, C, KH, KW] as
/// [C, F * KH * KW] (each tap's [C, F] stationary side by side), so that
/// groups of M run along the input channels of one tap, as the conv tiler
/// contracts them.
struct WeightMatrix {
  int64_t K = 0, N = 0;
  int64_t taps = 1; // conv: KH * KW; the columns are (f, tap) pairs
  bool conv = false;

  /// The weight's elements (`raw`, in the constant's order) in [K, N] order.
  std::vector<float> gather(ArrayRef<float> raw) const { return permute(raw, true); }
  /// The inverse of gather.
  std::vector<float> scatter(ArrayRef<float> m) const { return permute(m, false); }

private:
  std::vector<float> permute(ArrayRef<float> from, bool toMatrix) const {
    if (!conv)
      return from.vec();
    std::vector<float> to(from.size());
    int64_t F = N / taps;
    for (int64_t f = 0; f < F; ++f)
      for (int64_t c = 0; c < K; ++c)
        for (int64_t t = 0; t < taps; ++t) {
          int64_t inMatrix = c * N + f * taps + t, inConstant = (f * K + c) * taps + t;
          if (toMatrix)
            to[inMatrix] = from[inConstant];
          else
            to[inConstant] = from[inMatrix];
        }
    return to;
  }
};

struct SparsityPass : public trellis::impl::SparsityBase<SparsityPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto arch = loadArchConfig(target);
    if (!arch) {
      module.emitError() << llvm::toString(arch.takeError());
      return signalPassFailure();
    }
    auto pattern = checkSparsityPattern(sparsity, *arch);
    if (!pattern) {
      module.emitError() << llvm::toString(pattern.takeError());
      return signalPassFailure();
    }
    if (llvm::Error e = checkSparsityLayers(layers)) {
      module.emitError() << llvm::toString(std::move(e));
      return signalPassFailure();
    }
    bool autoPick = layers == "auto";
    llvm::Regex regex(autoPick || layers.empty() ? ".*" : layers.getValue());

    std::vector<Layer> report;
    module.walk([&](Operation *op) {
      Value w;
      auto conv = dyn_cast<graph::Conv2DOp>(op);
      if (auto lin = dyn_cast<graph::LinearOp>(op))
        w = lin.getW();
      else if (auto mm = dyn_cast<graph::MatMulOp>(op))
        w = mm.getRhs();
      else if (conv)
        w = conv.getW();
      else
        return;
      auto cst = w.getDefiningOp<graph::ConstantOp>();
      auto wt = cast<RankedTensorType>(w.getType());
      auto dense = cst ? dyn_cast<DenseElementsAttr>(cst.getValue()) : DenseElementsAttr();
      if (!dense || wt.getRank() != (conv ? 4 : 2) || !mlir::isa<FloatType>(wt.getElementType()))
        return; // not a constant weight: not a candidate
      Layer l;
      l.name = nodeName(op->getLoc());
      l.op = op->getName().getStringRef().str();
      WeightMatrix wm;
      auto xs = cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
      int64_t eb = std::max<unsigned>(1, wt.getElementTypeBitWidth() / 8);
      if (conv) {
        // The report shows the convolution as its im2col GEMM:
        // output pixels x (C * KH * KW) x F.
        auto ys = cast<RankedTensorType>(conv.getType()).getShape();
        wm.conv = true;
        wm.taps = wt.getDimSize(2) * wt.getDimSize(3);
        wm.K = wt.getDimSize(1);
        wm.N = wt.getDimSize(0) * wm.taps;
        l.M = ys[0] * ys[2] * ys[3];
        l.K = wm.K * wm.taps;
        l.N = wt.getDimSize(0);
        int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3), in = xs[0] * xs[2] * xs[3];
        l.speedup = predictConvNs(l.M, in, wm.K, l.N, kh, kw, eb, nullptr, *arch) /
                    predictConvNs(l.M, in, wm.K, l.N, kh, kw, eb, &*pattern, *arch);
      } else {
        wm.K = l.K = wt.getDimSize(0);
        wm.N = l.N = wt.getDimSize(1);
        l.M = 1;
        for (int64_t d : xs.drop_back())
          l.M *= d;
        l.speedup = predictMatmulNs(l.M, l.K, l.N, eb, nullptr, *arch) /
                    predictMatmulNs(l.M, l.K, l.N, eb, &*pattern, *arch);
      }
      if (!regex.match(l.name))
        return;
      if (conv && conv.getGroup() != 1) {
        l.status = llvm::formatv("skipped: grouped convolution (group {0})", conv.getGroup());
      } else if (conv && wm.K % pattern->group) {
        // The conv tiler puts whole groups of channels on a partition.
        l.status = llvm::formatv("skipped: C = {0} is not a multiple of {1}", wm.K,
                                 pattern->group);
      } else if (autoPick && l.speedup < kAutoMinSpeedup) {
        l.status = "skipped: no predicted gain";
      } else {
        std::vector<float> raw;
        raw.reserve(size_t(wt.getNumElements()));
        for (APFloat v : dense.getValues<APFloat>())
          raw.push_back(v.convertToFloat());
        // A K that is not whole groups is padded with zero rows: the last
        // group holds fewer real rows (the tiler zero-fills their moving
        // rows too).
        std::vector<float> m = wm.gather(raw);
        int64_t kp = llvm::alignTo(wm.K, pattern->group);
        m.resize(size_t(kp * wm.N), 0.0f);
        if (sparsity::isSparse(m.data(), kp, wm.N, *pattern)) {
          l.kept = 1.0;
          l.status = "sparse (already)";
          l.sparse = true;
        } else if (!prune) {
          l.status = "skipped: not " + pattern->str() + " sparse (--sparsity-prune prunes it)";
        } else {
          l.kept = sparsity::prune(m.data(), kp, wm.N, *pattern);
          m.resize(size_t(wm.K * wm.N));
          setPruned(op, w, cst, wm.scatter(m));
          l.status = "sparse (pruned)";
          l.sparse = true;
        }
        if (l.sparse && kp != wm.K)
          l.status += llvm::formatv(", K padded {0} -> {1}", wm.K, kp).str();
        if (l.sparse)
          op->setAttr(kSparsityAttr, StringAttr::get(op->getContext(), pattern->str()));
      }
      report.push_back(std::move(l));
    });
    if (failed(writeReport(report, *arch, *pattern, module)))
      return signalPassFailure();
  }

  /// Gives `op` its own constant with the pruned values (the original may
  /// have other users).
  void setPruned(Operation *op, Value w, graph::ConstantOp cst, ArrayRef<float> values) {
    auto type = cast<RankedTensorType>(cst.getType());
    auto &fs = cast<FloatType>(type.getElementType()).getFloatSemantics();
    SmallVector<APFloat> vals;
    for (float f : values) {
      APFloat a(f);
      bool lost;
      a.convert(fs, APFloat::rmNearestTiesToEven, &lost); // exact: an element or zero
      vals.push_back(a);
    }
    OpBuilder b(op);
    auto pruned = graph::ConstantOp::create(b, cst.getLoc(), DenseElementsAttr::get(type, vals));
    op->replaceUsesOfWith(w, pruned);
    if (cst->use_empty())
      cst->erase();
  }

  LogicalResult writeReport(ArrayRef<Layer> layersOut, const ArchConfig &arch,
                            sparsity::Pattern p, ModuleOp module) {
    std::string text;
    llvm::raw_string_ostream os(text);
    int64_t made = llvm::count_if(layersOut, [](const Layer &l) { return l.sparse; });
    os << llvm::formatv("sparsity {0} on {1}: {2} of {3} constant-weight matmul layers sparse "
                        "(layers: {4}{5})\n",
                        p.str(), arch.name, made, layersOut.size(),
                        layers.empty() ? "all" : layers.getValue(),
                        prune ? ", pruned by magnitude" : "");
    os << llvm::formatv("{0,-32} {1,-13} {2,-18} {3,-7} {4,6} {5,9}  {6}\n", "layer", "op",
                        "M x K x N", "pattern", "kept", "predicted", "status");
    for (const Layer &l : layersOut)
      os << llvm::formatv("{0,-32} {1,-13} {2,-18} {3,-7} {4,6} {5,8:f2}x  {6}\n",
                          l.name.empty() ? "(unnamed)" : l.name, l.op,
                          llvm::formatv("{0}x{1}x{2}", l.M, l.K, l.N).str(),
                          l.sparse ? p.str() : "-",
                          l.sparse ? llvm::formatv("{0:f4}", l.kept).str() : "-", l.speedup,
                          l.status);
    if (report.empty() || report == "-") {
      llvm::errs() << text;
      return success();
    }
    if (llvm::Error e = writeFileAtomically(report, text)) {
      module.emitError() << "--sparsity-report: " << llvm::toString(std::move(e));
      return failure();
    }
    return success();
  }

  /// `auto` keeps a layer when the model predicts at least this speedup.
  static constexpr double kAutoMinSpeedup = 1.1;
};

} // namespace
