//===- TestContext.h - The MLIRContext of the unit tests --------*- C++ -*-===//
//
// One definition of the context every test that parses, compiles or JITs a
// module needs, so that a dialect the pipelines come to use is registered in
// one place instead of in each fixture.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_TESTCONTEXT_H
#define SEQC_TEST_UNIT_TESTCONTEXT_H

#include "seqc/Pipeline/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

namespace seqc::test {

/// An MLIRContext with seqc's dialects registered and loaded: a fixture or
/// a test declares one and passes it wherever an `mlir::MLIRContext &` goes.
class SeqcContext : public mlir::MLIRContext {
public:
  SeqcContext() : mlir::MLIRContext(seqcDialects()) {
    loadAllAvailableDialects();
  }

private:
  static mlir::DialectRegistry seqcDialects() {
    mlir::DialectRegistry registry;
    registerAllDialects(registry);
    return registry;
  }
};

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_TESTCONTEXT_H
