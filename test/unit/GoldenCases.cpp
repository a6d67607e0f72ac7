//===- GoldenCases.cpp - PyTorch's golden cases and their checks ----------===//
#include "GoldenCases.h"
#include "GradCheck.h"
#include "TestUtil.h"

#include "llvm/ADT/STLExtras.h"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <optional>

using namespace seqc::rt;

namespace seqc::test {

std::string goldenPath(llvm::StringRef fileName) {
  return std::string(SEQC_SOURCE_DIR) + "/test/unit/Inputs/" + fileName.str();
}

const SafetensorsFile *loadGoldens(llvm::StringRef fileName,
                                   std::string &message) {
  struct Loaded {
    std::optional<SafetensorsFile> file;
    std::string error;
  };
  // Every test of a suite reads the same file.
  static std::map<std::string, Loaded> loaded;
  auto [it, inserted] = loaded.try_emplace(fileName.str());
  if (inserted) {
    auto file = loadSafetensors(goldenPath(fileName));
    if (file)
      it->second.file = std::move(*file);
    else
      it->second.error = llvm::toString(file.takeError());
  }
  message = it->second.error;
  return it->second.file ? &*it->second.file : nullptr;
}

llvm::Expected<CaseGoldens> caseGoldens(llvm::StringRef fileName,
                                        llvm::StringRef caseName,
                                        llvm::StringRef generator) {
  std::string message;
  const SafetensorsFile *file = loadGoldens(fileName, message);
  if (!file)
    return makeError("cannot read the goldens: " + message);
  std::string prefix = caseName.str() + "/";
  CaseGoldens result;
  bool hasOut = false, hasLoss = false;
  for (const auto &[key, tensor] : file->tensors) {
    if (!llvm::StringRef(key).starts_with(prefix))
      continue;
    llvm::StringRef name = llvm::StringRef(key).drop_front(prefix.size());
    if (name == "out") {
      result.out = tensor;
      hasOut = true;
    } else if (name == "loss") {
      result.loss = tensor.getDouble(0);
      hasLoss = true;
    } else if (name.consume_front("grad/")) {
      result.grads[name.str()] = tensor;
    } else {
      result.args[name.str()] = tensor;
    }
  }
  if (!hasOut || !hasLoss || result.grads.empty())
    return makeError(fmt::format("{} has no case '{}'; run Inputs/{}",
                                 goldenPath(fileName), caseName.str(),
                                 generator.str()));
  return result;
}

llvm::Expected<std::set<std::string>>
goldenCaseNames(llvm::StringRef fileName) {
  std::string message;
  const SafetensorsFile *file = loadGoldens(fileName, message);
  if (!file)
    return makeError("cannot read the goldens: " + message);
  std::set<std::string> names;
  for (const auto &[key, tensor] : file->tensors)
    names.insert(key.substr(0, key.find('/')));
  return names;
}

static bool verbose() {
  return std::getenv("SEQC_GRADCHECK_VERBOSE") != nullptr;
}

void ErrorSummary::expectClose(const std::string &model, const Tensor &actual,
                               const Tensor &expected, double tolerance,
                               const std::string &which,
                               const std::string &check,
                               const std::string &what) {
  auto comparison = compareTensors(actual, expected);
  ASSERT_TRUE(static_cast<bool>(comparison))
      << what << ": " << llvm::toString(comparison.takeError());
  EXPECT_LE(comparison->maxError, tolerance)
      << model << ", " << which << ", " << check << ", " << what << ": "
      << comparison->describe(actual.shape());
  auto it = llvm::find_if(worst, [&](const Worst &w) {
    return w.which == which && w.check == check;
  });
  if (it == worst.end())
    it = worst.insert(worst.end(), {which, check});
  if (comparison->maxError >= it->error) {
    it->error = comparison->maxError;
    it->where = what;
  }
  if (verbose())
    std::cout << fmt::format("  {:<22} {:<8} {:<24} {:<14} {:.3g}\n", model,
                             which, check, what, comparison->maxError);
}

void ErrorSummary::print(const std::string &model) const {
  for (const Worst &w : worst)
    std::cout << fmt::format("  {:<22} {:<8} {:<24} {:9.3g}  ({})\n", model,
                             w.which, w.check, w.error, w.where);
}

} // namespace seqc::test
