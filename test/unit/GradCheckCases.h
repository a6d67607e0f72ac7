//===- GradCheckCases.h - The cases of the gradient checks ------*- C++ -*-===//
//
// What GradCheckTest.cpp and GradCheckSanityTest.cpp share: the cases (one
// scalar loss `@loss` per derivative rule and per loss the frontend builds),
// their goldens from Inputs/grad_goldens.safetensors, and the tolerances.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_GRADCHECKCASES_H
#define SEQC_TEST_UNIT_GRADCHECKCASES_H

#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace seqc::test {

/// Errors relative with a floor (GradCheck.h): f64 gradients against finite
/// differences with steps of kRelativeStep, and losses and gradients against
/// PyTorch's in f64 and f32.
constexpr double kFiniteDifferenceTolerance = 1e-6;
constexpr double kF64PyTorchTolerance = 1e-10;
constexpr double kF32PyTorchTolerance = 1e-5;
constexpr double kRelativeStep = 1e-6;

/// One case: the scalar loss of one derivative rule or one frontend loss.
struct GradCase {
  std::string name;
  std::string mlir; // func.func @loss, with !T for the float type
};

/// Every case, each with a twin of its name in Inputs/make_grad_goldens.py.
const std::vector<GradCase> &allCases();

/// Inputs/grad_goldens.safetensors in the source tree.
const std::string &goldenPath();

/// The golden file, loaded once; null (with the error in `loadError`) when
/// it cannot be read.
const rt::SafetensorsFile *goldens(std::string &loadError);

/// A case's golden arguments, loss and gradients.
struct CaseGoldens {
  std::map<std::string, const rt::Tensor *> args;
  double loss = 0;
  std::map<std::string, const rt::Tensor *> grads;
};

/// The goldens of case `name` in `file` (empty when it has none).
CaseGoldens goldensOf(const rt::SafetensorsFile &file, const std::string &name);

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_GRADCHECKCASES_H
