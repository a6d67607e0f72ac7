//===- seqc-opt.cpp - mlir-opt for the seq dialect ------------------------===//
//
// Parses MLIR with the seq dialect and the upstream dialects seqc lowers
// through, and runs any registered pass or pipeline on it.
//
//===----------------------------------------------------------------------===//
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "seqc/Pipeline/Pipeline.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  seqc::registerAllDialects(registry);
  seqc::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "seqc optimizer driver: the seq dialect and its passes\n",
      registry));
}
