//===- Init.cpp - Parameter initializers ----------------------------------===//
#include "seqc/Runtime/Init.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

using namespace seqc::rt;

llvm::Expected<InitSpec::Kind> InitSpec::parseKind(llvm::StringRef name) {
  std::optional<Kind> kind = llvm::StringSwitch<std::optional<Kind>>(name)
                                 .Case("zeros", Kind::Zeros)
                                 .Case("constant", Kind::Constant)
                                 .Case("uniform", Kind::Uniform)
                                 .Case("normal", Kind::Normal)
                                 .Case("xavier", Kind::Xavier)
                                 .Case("he", Kind::He)
                                 .Default(std::nullopt);
  if (!kind)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "unknown initializer '%s' (expected zeros, constant, uniform, normal, "
        "xavier or he)",
        name.str().c_str());
  return *kind;
}

llvm::StringRef InitSpec::kindName(Kind kind) {
  switch (kind) {
  case Kind::Zeros:
    return "zeros";
  case Kind::Constant:
    return "constant";
  case Kind::Uniform:
    return "uniform";
  case Kind::Normal:
    return "normal";
  case Kind::Xavier:
    return "xavier";
  case Kind::He:
    return "he";
  }
  llvm_unreachable("unknown initializer kind");
}

std::string InitSpec::str() const {
  switch (kind) {
  case Kind::Constant:
    return fmt::format("constant({})", a);
  case Kind::Uniform:
  case Kind::Normal:
    return fmt::format("{}({}, {})", kindName(kind).str(), a, b);
  default:
    return kindName(kind).str();
  }
}

Fans seqc::rt::computeFans(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return {};
  return {shape.back(), shape.front()};
}

void seqc::rt::initializeTensor(Tensor &tensor, const InitSpec &spec,
                                Rng &rng) {
  int64_t count = tensor.numElements();
  Fans fans = computeFans(tensor.shape());
  switch (spec.kind) {
  case InitSpec::Kind::Zeros:
    tensor.fill(0.0);
    return;
  case InitSpec::Kind::Constant:
    tensor.fill(spec.a);
    return;
  case InitSpec::Kind::Uniform:
    for (int64_t index = 0; index < count; ++index)
      tensor.setDouble(index, rng.uniform(spec.a, spec.b));
    return;
  case InitSpec::Kind::Normal:
    for (int64_t index = 0; index < count; ++index)
      tensor.setDouble(index, rng.normal(spec.a, spec.b));
    return;
  case InitSpec::Kind::Xavier: {
    double limit = std::sqrt(6.0 / static_cast<double>(std::max<int64_t>(
                                       fans.fanIn + fans.fanOut, 1)));
    for (int64_t index = 0; index < count; ++index)
      tensor.setDouble(index, rng.uniform(-limit, limit));
    return;
  }
  case InitSpec::Kind::He: {
    double stddev =
        std::sqrt(2.0 / static_cast<double>(std::max<int64_t>(fans.fanIn, 1)));
    for (int64_t index = 0; index < count; ++index)
      tensor.setDouble(index, rng.normal(0.0, stddev));
    return;
  }
  }
  llvm_unreachable("unknown initializer kind");
}
