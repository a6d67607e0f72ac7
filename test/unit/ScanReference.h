//===- ScanReference.h - What the seq.scan tests check against --*- C++ -*-===//
//
// The scan tests' sizes and tolerances, sample arguments of a cellModule's
// `@loss`, and the cell run step by step in plain C++ (the reference).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_SCANREFERENCE_H
#define SEQC_TEST_UNIT_SCANREFERENCE_H

#include "ScanModules.h"

#include "seqc/Runtime/Random.h"
#include "seqc/Runtime/Tensor.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace seqc::test {

constexpr int64_t H = CellSpec::kHidden, P = CellSpec::kInput,
                  N = CellSpec::kBatch;
constexpr double kFiniteDifferenceTolerance = 1e-6;
constexpr double kForwardTolerance = 1e-12;

/// An f64 tensor of values uniform in [low, high).
rt::Tensor randomTensor(llvm::ArrayRef<int64_t> shape, rt::Rng &rng,
                        double low = -1, double high = 1);

/// Values of every argument of @loss for `steps` steps and batch `batch`.
std::map<std::string, rt::Tensor> sampleArguments(const CellSpec &spec,
                                                  int64_t steps, int64_t batch,
                                                  uint64_t seed);

/// The cell run step by step in plain C++: (hT, hs).
std::pair<rt::Tensor, rt::Tensor>
referenceScan(const CellSpec &spec, std::map<std::string, rt::Tensor> &values);

/// The loss of cellModule's `@loss`, from referenceScan.
double referenceLoss(const CellSpec &spec,
                     std::map<std::string, rt::Tensor> &values);

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_SCANREFERENCE_H
