//===- DataTestUtil.h - Helpers of the sequence loaders' tests --*- C++ -*-===//
//
// What the tests of the sequence loaders share (SequenceDataTest,
// PairsDataTest, TaggedDataTest): a training and a validation text parsed
// as the two files a spec names, the tokens of a row, and the type of an
// input for the batch gatherers.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_DATATESTUTIL_H
#define SEQC_TEST_UNIT_DATATESTUTIL_H

#include "seqc/Runtime/SequenceData.h"
#include "seqc/Runtime/TensorType.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace seqc::test {

/// `train` and `valid` parsed as the files `spec.trainPath` and
/// `spec.validPath`, under those names.
inline llvm::Expected<rt::LoadedData>
parseTrainAndValid(const DataSpec &spec, llvm::StringRef train,
                   llvm::StringRef valid, const rt::DataOptions &options = {}) {
  return rt::parseSequenceData(spec,
                               {rt::DataFile{spec.trainPath, train},
                                rt::DataFile{spec.validPath, valid}},
                               options);
}

/// The tokens of one row (of a pair, the source's).
inline std::vector<int64_t> rowTokens(const rt::Dataset &data, int64_t row) {
  return std::vector<int64_t>(data.tokens.begin() + data.offsets[row],
                              data.tokens.begin() + data.offsets[row + 1]);
}

/// An input's type; -1 is a dynamic size.
inline rt::TensorType tensorType(rt::DType dtype, std::vector<int64_t> shape) {
  rt::TensorType result;
  result.dtype = dtype;
  result.shape.assign(shape.begin(), shape.end());
  return result;
}

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_DATATESTUTIL_H
