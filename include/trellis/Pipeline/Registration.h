//===- Registration.h - What Trellis tools register -----------------------===//
#ifndef TRELLIS_PIPELINE_REGISTRATION_H
#define TRELLIS_PIPELINE_REGISTRATION_H

namespace mlir {
class DialectRegistry;
}

namespace trellis {
/// The Trellis dialects plus the upstream ones the pipeline uses.
void registerDialects(mlir::DialectRegistry &registry);
/// Every Trellis pass and pipeline, for trellis-opt.
void registerPasses();
} // namespace trellis

#endif
