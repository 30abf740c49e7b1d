//===- Sparsity.cpp - N:M structured sparsity of constant weights --------===//
//
// See Passes.td (trellis-sparsity) and docs/sparsity.md.
//
//===----------------------------------------------------------------------===//

#include "trellis/Transforms/Sparsity.h"
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

double trellis::predictMatmulNs(int64_t M, int64_t K, int64_t N, int64_t eltBytes,
                                const sparsity::Pattern *p, const ArchConfig &arch) {
  constexpr int64_t kTile = 128, kMoving = 512;
  auto ceilDiv = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  int64_t ratio = p ? p->ratio() : 1, rows = ceilDiv(K, ratio);
  isa::DType dt = eltBytes == 4 ? isa::DType::f32 : isa::DType::bf16;
  double peNs = 0, bytes = 0;
  for (int64_t m0 = 0; m0 < M; m0 += kMoving) {
    int64_t mt = std::min(kMoving, M - m0);
    // One MM per (128-column weight tile, 128-partition K tile).
    isa::Inst mm;
    mm.opcode = p ? isa::Opcode::multiply_moving_sparse : isa::Opcode::multiply_moving;
    mm.src0.partCount = kTile;
    mm.src0.dtype = dt;
    mm.src0.sizes = {ratio * mt};
    mm.src0.strides = {1};
    if (p) {
      mm.keep = p->keep;
      mm.group = p->group;
    }
    peNs += double(ceilDiv(N, kTile) * ceilDiv(rows, kTile) *
                   emu::multiplyMovingCycles(mm, arch)) /
            arch.peClockGHz;
    // Weights (compressed: values + 2-byte tag words per 4 columns) per
    // block; the transposing moving load runs at half rate: count it twice.
    bytes += p ? double(rows * N * eltBytes + rows * ceilDiv(N, 4) * 2)
               : double(K * N * eltBytes);
    bytes += 2.0 * double(mt * K * eltBytes);
  }
  bytes += double(M * N * eltBytes);
  double bw = std::min(arch.hbmGBps, arch.dmaEngineGBps * double(arch.dmaEngines));
  return std::max(peNs, bytes / bw);
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
      if (auto lin = dyn_cast<graph::LinearOp>(op))
        w = lin.getW();
      else if (auto mm = dyn_cast<graph::MatMulOp>(op))
        w = mm.getRhs();
      else
        return;
      auto cst = w.getDefiningOp<graph::ConstantOp>();
      auto wt = cast<RankedTensorType>(w.getType());
      auto dense = cst ? dyn_cast<DenseElementsAttr>(cst.getValue()) : DenseElementsAttr();
      if (!dense || wt.getRank() != 2 || !mlir::isa<FloatType>(wt.getElementType()))
        return; // not a constant weight: not a candidate
      Layer l;
      l.name = nodeName(op->getLoc());
      l.op = op->getName().getStringRef().str();
      auto xs = cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
      l.K = wt.getDimSize(0);
      l.N = wt.getDimSize(1);
      l.M = 1;
      for (int64_t d : xs.drop_back())
        l.M *= d;
      if (!regex.match(l.name))
        return;
      int64_t eb = std::max<unsigned>(1, wt.getElementTypeBitWidth() / 8);
      l.speedup = predictMatmulNs(l.M, l.K, l.N, eb, nullptr, *arch) /
                  predictMatmulNs(l.M, l.K, l.N, eb, &*pattern, *arch);
      if (l.K % pattern->group) {
        l.status = llvm::formatv("skipped: K = {0} is not a multiple of {1}", l.K,
                                 pattern->group);
      } else if (autoPick && l.speedup < kAutoMinSpeedup) {
        l.status = "skipped: no predicted gain";
      } else {
        std::vector<float> values;
        for (APFloat v : dense.getValues<APFloat>())
          values.push_back(v.convertToFloat());
        if (sparsity::isSparse(values.data(), l.K, l.N, *pattern)) {
          l.kept = 1.0;
          l.status = "sparse (already)";
          l.sparse = true;
        } else if (!prune) {
          l.status = "skipped: not " + pattern->str() + " sparse (--sparsity-prune prunes it)";
        } else {
          l.kept = sparsity::prune(values.data(), l.K, l.N, *pattern);
          setPruned(op, cst, values);
          l.status = "sparse (pruned)";
          l.sparse = true;
        }
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
  void setPruned(Operation *op, graph::ConstantOp cst, ArrayRef<float> values) {
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
    op->setOperand(1, pruned);
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
