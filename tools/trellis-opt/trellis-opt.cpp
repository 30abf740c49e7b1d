//===- trellis-opt.cpp - mlir-opt for the Trellis dialects and passes -----===//

#include "trellis/Pipeline/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  trellis::registerDialects(registry);
  trellis::registerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Trellis optimizer driver\n", registry));
}
