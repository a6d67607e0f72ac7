//===- GradCheck.cpp - Gradient checks of compiled losses -----------------===//
#include "GradCheck.h"

#include "seqc/Dialect/Seq/SeqOps.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

using namespace seqc::rt;

namespace seqc::test {

static llvm::Error error(std::string message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

double relativeError(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0.0 : INFINITY;
  return std::abs(a - b) / std::max({1.0, std::abs(a), std::abs(b)});
}

static std::string indexString(llvm::ArrayRef<int64_t> shape, int64_t flat) {
  llvm::SmallVector<int64_t, 4> index(shape.size());
  for (int64_t axis = static_cast<int64_t>(shape.size()) - 1; axis >= 0;
       --axis) {
    index[axis] = flat % shape[axis];
    flat /= shape[axis];
  }
  return shapeToString(index);
}

std::string Comparison::describe(llvm::ArrayRef<int64_t> shape) const {
  if (worstIndex < 0 || maxError == 0)
    return "";
  return fmt::format("{:.3g} at {}: {:.17g} vs {:.17g}", maxError,
                     indexString(shape, worstIndex), actual, expected);
}

llvm::Expected<Comparison> compareTensors(const Tensor &actual,
                                          const Tensor &expected) {
  if (actual.shape() != expected.shape())
    return error(fmt::format("shapes differ: {} vs {}",
                             shapeToString(actual.shape()),
                             shapeToString(expected.shape())));
  Comparison result;
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double a = actual.getDouble(i), e = expected.getDouble(i);
    double err = relativeError(a, e);
    if (result.worstIndex < 0 || err > result.maxError) {
      result.maxError = err;
      result.worstIndex = i;
      result.actual = a;
      result.expected = e;
    }
  }
  return result;
}

Tensor convertTensor(const Tensor &tensor, DType dtype) {
  if (tensor.dtype() == dtype)
    return tensor;
  Tensor result(dtype, tensor.shape());
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    result.setDouble(i, tensor.getDouble(i));
  return result;
}

//===----------------------------------------------------------------------===//
// CompiledLoss
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<CompiledLoss>>
CompiledLoss::create(mlir::MLIRContext &context, const LossSpec &spec) {
  if (spec.dtype != DType::F32 && spec.dtype != DType::F64)
    return error("a loss is computed in f32 or f64");
  std::string text =
      fmt::format("!T = {}\n{}", dtypeName(spec.dtype).str(), spec.mlir);

  std::string diagnostics;
  mlir::ScopedDiagnosticHandler capture(&context, [&](mlir::Diagnostic &diag) {
    llvm::raw_string_ostream os(diagnostics);
    os << diag.getLocation() << ": " << diag << "\n";
    for (const mlir::Diagnostic &note : diag.getNotes())
      os << "  note: " << note << "\n";
    return mlir::success();
  });

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module)
    return error("the loss does not parse:\n" + diagnostics);

  // Every parameter needs an initializer for the runtime; the checks set
  // every value themselves.
  mlir::Builder b(&context);
  for (auto func : module->getOps<mlir::func::FuncOp>())
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (func.getArgAttr(i, seq::kParamAttr) &&
          !func.getArgAttr(i, seq::kInitAttr))
        func.setArgAttr(i, seq::kInitAttr,
                        b.getDictionaryAttr(
                            b.getNamedAttr("kind", b.getStringAttr("zeros"))));

  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  SeqcAutodiffOptions options;
  options.wrtInputs = spec.wrtInputs;
  pm.addPass(createSeqcAutodiff(options));
  pm.addPass(mlir::createCanonicalizerPass());
  if (mlir::failed(pm.run(*module)))
    return error("seqc-autodiff failed:\n" + diagnostics);

  std::unique_ptr<CompiledLoss> loss(new CompiledLoss());
  auto grad = module->lookupSymbol<mlir::func::FuncOp>("loss_grad");
  if (!grad)
    return error("seqc-autodiff built no @loss_grad");
  for (unsigned i = 1; i < grad.getNumResults(); ++i) {
    auto name =
        grad.getResultAttrOfType<mlir::StringAttr>(i, seqc::seq::kGradOfAttr);
    if (!name)
      return error(
          fmt::format("result #{} of @loss_grad has no seq.grad_of", i));
    loss->gradNames.push_back(name.str());
  }
  llvm::raw_string_ostream os(loss->gradText);
  module->print(os);

  auto session = JitSession::create(*module);
  if (!session)
    return error("compiling the " + dtypeName(spec.dtype).str() +
                 " loss failed: " + llvm::toString(session.takeError()) + "\n" +
                 diagnostics);
  loss->session = std::move(*session);
  const EntryPoint *entry = loss->session->entryPoint("loss");
  if (!entry || !loss->session->entryPoint("loss_grad"))
    return error("the compiled module lacks @loss or @loss_grad");
  loss->args = entry->arguments;
  for (const EntryArgument &arg : loss->args) {
    llvm::SmallVector<int64_t, 4> shape(arg.type.shape);
    for (int64_t &size : shape)
      if (size == kDynamicSize)
        size = 0;
    loss->values.emplace_back(arg.type.dtype, shape);
  }
  return loss;
}

llvm::ArrayRef<EntryArgument> CompiledLoss::arguments() const { return args; }

llvm::Error CompiledLoss::writeBack(size_t index) {
  if (args[index].kind == EntryArgument::Kind::Param)
    return session->setParam(args[index].name, values[index]);
  return llvm::Error::success();
}

llvm::Error CompiledLoss::set(llvm::StringRef name, const Tensor &value) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].name != name)
      continue;
    bool floats = isFloat(value.dtype()) && isFloat(args[i].type.dtype);
    if (value.dtype() != args[i].type.dtype && !floats)
      return error(fmt::format("argument '{}' is {}, got {}", name.str(),
                               args[i].type.str(),
                               dtypeName(value.dtype()).str()));
    Tensor converted = convertTensor(value, args[i].type.dtype);
    if (!args[i].type.accepts(converted))
      return error(fmt::format("argument '{}' is {}, got shape {}", name.str(),
                               args[i].type.str(),
                               shapeToString(value.shape())));
    values[i] = std::move(converted);
    return writeBack(i);
  }
  return error(fmt::format("@loss has no argument '{}'", name.str()));
}

const Tensor &CompiledLoss::get(llvm::StringRef name) const {
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].name == name)
      return values[i];
  llvm::report_fatal_error("no such argument");
}

static std::vector<Tensor> inputsOf(llvm::ArrayRef<EntryArgument> args,
                                    llvm::ArrayRef<Tensor> values) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].kind == EntryArgument::Kind::Input)
      inputs.push_back(values[i]);
  return inputs;
}

llvm::Expected<double> CompiledLoss::loss() {
  auto outputs = session->run("loss", inputsOf(args, values));
  if (!outputs)
    return outputs.takeError();
  return (*outputs)[0].getDouble(0);
}

llvm::Expected<CompiledLoss::Gradients> CompiledLoss::gradients() {
  auto outputs = session->run("loss_grad", inputsOf(args, values));
  if (!outputs)
    return outputs.takeError();
  if (outputs->size() != gradNames.size() + 1)
    return error("@loss_grad returned an unexpected number of results");
  Gradients result;
  result.loss = (*outputs)[0].getDouble(0);
  for (size_t i = 0; i < gradNames.size(); ++i)
    result.grads[gradNames[i]] = std::move((*outputs)[i + 1]);
  return result;
}

llvm::Expected<Tensor> CompiledLoss::finiteDifferences(llvm::StringRef name,
                                                       double relStep) {
  size_t index = 0;
  while (index < args.size() && args[index].name != name)
    ++index;
  if (index == args.size())
    return error(fmt::format("@loss has no argument '{}'", name.str()));
  if (!isFloat(values[index].dtype()))
    return error(
        fmt::format("argument '{}' is not a float tensor", name.str()));

  const Tensor original = values[index];
  Tensor result(DType::F64, original.shape());
  for (int64_t i = 0; i < original.numElements(); ++i) {
    double x = original.getDouble(i);
    double h = relStep * std::max(1.0, std::abs(x));
    // The steps actually taken, after rounding to the element type.
    values[index].setDouble(i, x + h);
    double up = values[index].getDouble(i);
    if (llvm::Error e = writeBack(index))
      return std::move(e);
    auto lossUp = loss();
    if (!lossUp)
      return lossUp.takeError();
    values[index].setDouble(i, x - h);
    double down = values[index].getDouble(i);
    if (llvm::Error e = writeBack(index))
      return std::move(e);
    auto lossDown = loss();
    if (!lossDown)
      return lossDown.takeError();
    values[index].setDouble(i, x);
    result.setDouble(i, (*lossUp - *lossDown) / (up - down));
  }
  values[index] = original;
  if (llvm::Error e = writeBack(index))
    return std::move(e);
  return result;
}

} // namespace seqc::test
