//===- FrontendModels.cpp - .seq models compiled for the tests ------------===//
#include "FrontendModels.h"
#include "TestUtil.h"

#include "seqc/Dialect/Seq/SeqOps.h"
#include "seqc/Frontend/Frontend.h"
#include "seqc/Frontend/MLIRGen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <numeric>

using namespace seqc::rt;

namespace seqc::test {

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
compileFrontendModel(mlir::MLIRContext &context, llvm::StringRef source,
                     unsigned floatWidth, bool withLoss, int64_t unroll) {
  // The frontend reports through the SourceMgr, MLIRGen through the
  // context: both go into the error.
  llvm::SourceMgr srcMgr;
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  srcMgr.setDiagHandler(
      [](const llvm::SMDiagnostic &diag, void *stream) {
        diag.print("seqc", *static_cast<llvm::raw_ostream *>(stream));
      },
      &os);
  mlir::ScopedDiagnosticHandler capture(&context, [&](mlir::Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag << "\n";
    return mlir::success();
  });
  auto ast = seqc::parseSource(srcMgr, source, "model.seq");
  if (!ast)
    return makeError("the model does not parse:\n" + diagnostics);
  seqc::FrontendOptions frontendOptions;
  frontendOptions.withLoss = withLoss;
  auto program = seqc::elaborate(*ast, srcMgr, frontendOptions);
  if (!program)
    return makeError("the model does not elaborate:\n" + diagnostics);
  seqc::MLIRGenOptions options;
  options.floatWidth = floatWidth;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      seqc::mlirGen(context, *program, options);
  if (!module)
    return makeError("MLIRGen failed:\n" + diagnostics);
  if (unroll != 1) {
    mlir::Builder b(&context);
    module->walk([&](seqc::seq::ScanOp scan) {
      scan->setAttr("unroll", b.getI64IntegerAttr(unroll));
    });
  }
  return module;
}

llvm::Error addWeightedSumLoss(mlir::ModuleOp module) {
  auto forward = module.lookupSymbol<mlir::func::FuncOp>("forward");
  if (!forward || forward.getNumResults() != 1)
    return makeError("the module has no @forward with one result");
  mlir::OpBuilder builder(module.getContext());
  builder.setInsertionPointToEnd(module.getBody());
  auto loss = llvm::cast<mlir::func::FuncOp>(builder.clone(*forward));
  loss.setSymName("loss");
  loss.removeResAttrsAttr();
  auto ret =
      llvm::cast<mlir::func::ReturnOp>(loss.getBody().front().getTerminator());
  mlir::Value out = ret.getOperand(0);
  auto outType = llvm::dyn_cast<mlir::RankedTensorType>(out.getType());
  if (!outType)
    return makeError("@forward does not return a ranked tensor");
  mlir::Location loc = loss.getLoc();
  unsigned index = loss.getNumArguments();
  loss.insertArgument(index, outType,
                      builder.getDictionaryAttr(builder.getNamedAttr(
                          seqc::seq::kInputAttr, builder.getStringAttr("R"))),
                      loc);
  builder.setInsertionPoint(ret);
  auto scalar = mlir::RankedTensorType::get({}, outType.getElementType());
  llvm::SmallVector<int64_t, 4> axes(outType.getRank());
  std::iota(axes.begin(), axes.end(), 0);
  mlir::Value product = builder.create<seqc::seq::MulOp>(
      loc, outType, out, loss.getArgument(index));
  mlir::Value sum = builder.create<seqc::seq::ReduceSumOp>(
      loc, scalar, product, builder.getDenseI64ArrayAttr(axes));
  ret->setOperands(sum);
  loss.setFunctionType(
      builder.getFunctionType(loss.getArgumentTypes(), {scalar}));
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<CompiledLoss>>
compileLoss(mlir::MLIRContext &context, mlir::ModuleOp module, DType dtype,
            bool wrtInputs) {
  if (!module.lookupSymbol<mlir::func::FuncOp>("loss"))
    return makeError("the module has no @loss");
  if (auto forward = module.lookupSymbol<mlir::func::FuncOp>("forward"))
    forward.erase();
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return CompiledLoss::create(context, {text, dtype, wrtInputs});
}

} // namespace seqc::test
