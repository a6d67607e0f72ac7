//===- Batches.cpp - Rows of a Dataset as input tensors -------------------===//
#include "seqc/Runtime/Batches.h"
#include "seqc/Runtime/Error.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <numeric>
#include <type_traits>

using namespace seqc;
using namespace seqc::rt;

/// Pairs keep their target side as a sequence of its own: no `targets`.
static llvm::Error pairsHaveNoTargets(llvm::StringRef inputName) {
  return makeError("input '{}' is a target, but the data are pairs of "
                   "sequences, whose target side is y_in and y",
                   inputName.str());
}

//===----------------------------------------------------------------------===//
// Tables: one instance per row
//===----------------------------------------------------------------------===//

/// A tensor of `type` for `rows.size()` instances of `width` values each,
/// filled from `source(row)`.
static llvm::Expected<Tensor>
gather(llvm::ArrayRef<int64_t> rows, const TensorType &type, int64_t width,
       llvm::StringRef inputName, llvm::StringRef what,
       llvm::function_ref<const double *(int64_t)> source) {
  if (type.shape.empty() || type.shape[0] != kDynamicSize ||
      llvm::is_contained(llvm::ArrayRef(type.shape).drop_front(), kDynamicSize))
    return makeError("input '{}' has type {}; the data feeds inputs with a "
                     "leading batch axis and static sizes otherwise",
                     inputName.str(), type.str());
  int64_t perRow = numElementsOf(llvm::ArrayRef(type.shape).drop_front());
  if (perRow != width)
    return makeError("input '{}' takes {} values per instance ({}), but the "
                     "data has {} {}",
                     inputName.str(), perRow, type.str(), width, what.str());
  llvm::SmallVector<int64_t, 4> shape(type.shape);
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor tensor(type.dtype, shape);
  int64_t flat = 0;
  switch (type.dtype) {
  case DType::F32: {
    float *out = tensor.data<float>();
    for (int64_t row : rows)
      for (const double *in = source(row), *end = in + width; in != end; ++in)
        out[flat++] = static_cast<float>(*in);
    break;
  }
  case DType::F64: {
    double *out = tensor.data<double>();
    for (int64_t row : rows)
      for (const double *in = source(row), *end = in + width; in != end; ++in)
        out[flat++] = *in;
    break;
  }
  default:
    for (int64_t row : rows)
      for (const double *in = source(row), *end = in + width; in != end; ++in)
        tensor.setDouble(flat++, *in);
    break;
  }
  return tensor;
}

llvm::Expected<Tensor> seqc::rt::gatherFeatures(const Dataset &data,
                                                llvm::ArrayRef<int64_t> rows,
                                                const TensorType &type,
                                                llvm::StringRef inputName) {
  if (!isFloat(type.dtype))
    return makeError("input '{}' has type {}; features are numbers, fed as "
                     "f32 or f64",
                     inputName.str(), type.str());
  return gather(rows, type, data.numFeatures, inputName, "features",
                [&](int64_t row) { return data.featureRow(row); });
}

llvm::Expected<Tensor> seqc::rt::gatherTargets(const Dataset &data,
                                               llvm::ArrayRef<int64_t> rows,
                                               const TensorType &type,
                                               llvm::StringRef inputName) {
  if (data.pairs())
    return pairsHaveNoTargets(inputName);
  bool classes = data.targetKind == TargetKind::ClassIndex;
  if (classes == isFloat(type.dtype))
    return makeError("input '{}' has type {}, but the data's targets are {}",
                     inputName.str(), type.str(),
                     classes ? "class indices (an integer type)"
                             : "numbers (a float type)");
  return gather(rows, type, data.targetWidth, inputName, "target values",
                [&](int64_t row) { return data.targetRow(row); });
}

//===----------------------------------------------------------------------===//
// Sequences: time-major, padded
//===----------------------------------------------------------------------===//

int64_t seqc::rt::batchLength(const Dataset &data,
                              llvm::ArrayRef<int64_t> rows) {
  int64_t length = 0;
  for (int64_t row : rows)
    length = std::max(length, data.length(row));
  return length;
}

/// Checks that `type` is [?, ?] ++ `inner` sizes holding `width` values per
/// step; returns the batch's shape.
static llvm::Expected<llvm::SmallVector<int64_t, 4>>
timeMajorShape(const TensorType &type, int64_t steps, int64_t batch,
               int64_t width, bool allowFlat, llvm::StringRef inputName,
               llvm::StringRef what) {
  if (type.shape.size() < 2 || type.shape[0] != kDynamicSize ||
      type.shape[1] != kDynamicSize ||
      llvm::is_contained(llvm::ArrayRef(type.shape).drop_front(2),
                         kDynamicSize))
    return makeError("input '{}' has type {}; sequence data feeds time-major "
                     "inputs [T, N, ...] with static sizes after T and N",
                     inputName.str(), type.str());
  int64_t perStep = numElementsOf(llvm::ArrayRef(type.shape).drop_front(2));
  bool fits = perStep == width && (type.shape.size() > 2 || allowFlat);
  if (!fits)
    return makeError("input '{}' takes {} values per step ({}), but the data "
                     "has {} {}",
                     inputName.str(), perStep, type.str(), width, what.str());
  llvm::SmallVector<int64_t, 4> shape(type.shape);
  shape[0] = steps;
  shape[1] = batch;
  return shape;
}

/// A [T, N, width] tensor of `type` (or [T, N] when width is 1) with the
/// value `source(row, t, j)` for the `length(row)` real steps of each row,
/// `pad` after them; T is the longest length.
static llvm::Expected<Tensor> gatherRowSteps(
    llvm::ArrayRef<int64_t> rows, const TensorType &type, int64_t width,
    bool allowFlat, llvm::StringRef inputName, llvm::StringRef what, double pad,
    llvm::function_ref<int64_t(int64_t row)> length,
    llvm::function_ref<double(int64_t row, int64_t t, int64_t j)> source) {
  int64_t steps = 0;
  for (int64_t row : rows)
    steps = std::max(steps, length(row));
  int64_t batch = static_cast<int64_t>(rows.size());
  auto shape =
      timeMajorShape(type, steps, batch, width, allowFlat, inputName, what);
  if (!shape)
    return shape.takeError();
  Tensor tensor(type.dtype, *shape);
  auto fill = [&](auto *out) {
    using T = std::remove_pointer_t<decltype(out)>;
    for (auto [n, row] : llvm::enumerate(rows)) {
      int64_t real = length(row);
      for (int64_t t = 0; t < steps; ++t) {
        T *slot = out + (t * batch + static_cast<int64_t>(n)) * width;
        for (int64_t j = 0; j < width; ++j)
          slot[j] = static_cast<T>(t < real ? source(row, t, j) : pad);
      }
    }
  };
  switch (type.dtype) {
  case DType::F32:
    fill(tensor.data<float>());
    break;
  case DType::F64:
    fill(tensor.data<double>());
    break;
  case DType::I32:
    fill(tensor.data<int32_t>());
    break;
  case DType::I64:
    fill(tensor.data<int64_t>());
    break;
  }
  return tensor;
}

/// gatherRowSteps over the rows' steps in the Dataset: `source(step, j)`
/// for their steps offsets[row] .. offsets[row + 1] - 1.
static llvm::Expected<Tensor>
gatherTimeMajor(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                const TensorType &type, int64_t width, bool allowFlat,
                llvm::StringRef inputName, llvm::StringRef what, double pad,
                llvm::function_ref<double(int64_t step, int64_t j)> source) {
  return gatherRowSteps(
      rows, type, width, allowFlat, inputName, what, pad,
      [&](int64_t row) { return data.length(row); },
      [&](int64_t row, int64_t t, int64_t j) {
        return source(data.offsets[row] + t, j);
      });
}

llvm::Expected<Tensor> seqc::rt::gatherSteps(const Dataset &data,
                                             llvm::ArrayRef<int64_t> rows,
                                             const TensorType &type,
                                             llvm::StringRef inputName) {
  if (data.tokenSteps()) {
    if (isFloat(type.dtype))
      return makeError("input '{}' has type {}; the data's steps are token "
                       "ids, fed as an integer type",
                       inputName.str(), type.str());
    return gatherTimeMajor(data, rows, type, 1, /*allowFlat=*/true, inputName,
                           "token per step", static_cast<double>(kPadToken),
                           [&](int64_t step, int64_t) {
                             return static_cast<double>(data.tokens[step]);
                           });
  }
  if (!isFloat(type.dtype))
    return makeError("input '{}' has type {}; the data's steps are numbers, "
                     "fed as f32 or f64",
                     inputName.str(), type.str());
  return gatherTimeMajor(data, rows, type, data.numFeatures,
                         /*allowFlat=*/false, inputName, "features per step",
                         0.0, [&](int64_t step, int64_t j) {
                           return data.features[step * data.numFeatures + j];
                         });
}

llvm::Expected<Tensor> seqc::rt::gatherStepTargets(const Dataset &data,
                                                   llvm::ArrayRef<int64_t> rows,
                                                   const TensorType &type,
                                                   llvm::StringRef inputName) {
  if (data.pairs())
    return pairsHaveNoTargets(inputName);
  bool ids = data.targetKind == TargetKind::ClassIndex;
  if (ids == isFloat(type.dtype))
    return makeError("input '{}' has type {}, but the data's targets are {}",
                     inputName.str(), type.str(),
                     ids ? "token ids (an integer type)"
                         : "numbers (a float type)");
  int64_t width = data.targetWidth;
  return gatherTimeMajor(
      data, rows, type, width, /*allowFlat=*/width == 1, inputName,
      "target values per step", ids ? static_cast<double>(kPadToken) : 0.0,
      [&](int64_t step, int64_t k) { return data.targets[step * width + k]; });
}

llvm::Expected<Tensor> seqc::rt::gatherMask(const Dataset &data,
                                            llvm::ArrayRef<int64_t> rows,
                                            const TensorType &type,
                                            llvm::StringRef inputName) {
  if (!isFloat(type.dtype))
    return makeError("input '{}' has type {}; the mask is f32 or f64",
                     inputName.str(), type.str());
  return gatherTimeMajor(data, rows, type, 1, /*allowFlat=*/true, inputName,
                         "mask value per step", 0.0,
                         [](int64_t, int64_t) { return 1.0; });
}

//===----------------------------------------------------------------------===//
// Pairs: the target side, shifted for teacher forcing
//===----------------------------------------------------------------------===//

int64_t seqc::rt::decoderBatchLength(const Dataset &data,
                                     llvm::ArrayRef<int64_t> rows) {
  int64_t length = 0;
  for (int64_t row : rows)
    length = std::max(length, data.targetLength(row) + 1);
  return length;
}

/// The target side of `rows` as [T, N] ids, T = decoderBatchLength, each
/// row's n target ids shifted: with <s> before them (`startFirst`) or </s>
/// after them; <pad> after the n + 1 real steps.
static llvm::Expected<Tensor> gatherShiftedTargets(const Dataset &data,
                                                   llvm::ArrayRef<int64_t> rows,
                                                   const TensorType &type,
                                                   llvm::StringRef inputName,
                                                   bool startFirst) {
  if (!data.pairs())
    return makeError("input '{}' is a side of pairs of sequences, but the "
                     "data are not pairs",
                     inputName.str());
  if (isFloat(type.dtype))
    return makeError("input '{}' has type {}; the target side's steps are "
                     "token ids, fed as an integer type",
                     inputName.str(), type.str());
  return gatherRowSteps(
      rows, type, 1, /*allowFlat=*/true, inputName, "token per step",
      static_cast<double>(kPadToken),
      [&](int64_t row) { return data.targetLength(row) + 1; },
      [&](int64_t row, int64_t t, int64_t) {
        int64_t units = data.targetLength(row);
        int64_t unit = startFirst ? t - 1 : t;
        if (unit < 0)
          return static_cast<double>(kStartToken);
        if (unit >= units)
          return static_cast<double>(kEndToken);
        return static_cast<double>(
            data.targetTokens[data.targetOffsets[row] + unit]);
      });
}

llvm::Expected<Tensor>
seqc::rt::gatherDecoderInputs(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                              const TensorType &type,
                              llvm::StringRef inputName) {
  return gatherShiftedTargets(data, rows, type, inputName,
                              /*startFirst=*/true);
}

llvm::Expected<Tensor> seqc::rt::gatherDecoderTargets(
    const Dataset &data, llvm::ArrayRef<int64_t> rows, const TensorType &type,
    llvm::StringRef inputName) {
  return gatherShiftedTargets(data, rows, type, inputName,
                              /*startFirst=*/false);
}

llvm::Expected<Tensor> seqc::rt::gatherDecoderMask(const Dataset &data,
                                                   llvm::ArrayRef<int64_t> rows,
                                                   const TensorType &type,
                                                   llvm::StringRef inputName) {
  if (!data.pairs())
    return makeError("input '{}' is the mask of the target side of pairs of "
                     "sequences, but the data are not pairs",
                     inputName.str());
  if (!isFloat(type.dtype))
    return makeError("input '{}' has type {}; the mask is f32 or f64",
                     inputName.str(), type.str());
  return gatherRowSteps(
      rows, type, 1, /*allowFlat=*/true, inputName, "mask value per step", 0.0,
      [&](int64_t row) { return data.targetLength(row) + 1; },
      [](int64_t, int64_t, int64_t) { return 1.0; });
}

std::vector<std::vector<int64_t>>
seqc::rt::bucketedBatches(llvm::ArrayRef<int64_t> lengths, int64_t batch,
                          bool shuffle, Rng &rng) {
  int64_t rows = static_cast<int64_t>(lengths.size());
  std::vector<int64_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    for (int64_t i = rows - 1; i > 0; --i)
      std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
    int64_t chunk = kBucketBatches * batch;
    for (int64_t begin = 0; begin < rows; begin += chunk)
      std::stable_sort(
          order.begin() + begin, order.begin() + std::min(rows, begin + chunk),
          [&](int64_t a, int64_t b) { return lengths[a] < lengths[b]; });
  }
  std::vector<std::vector<int64_t>> batches;
  for (int64_t begin = 0; begin < rows; begin += batch)
    batches.emplace_back(order.begin() + begin,
                         order.begin() + std::min(rows, begin + batch));
  if (shuffle)
    for (int64_t i = static_cast<int64_t>(batches.size()) - 1; i > 0; --i)
      std::swap(batches[i], batches[rng.below(static_cast<uint64_t>(i) + 1)]);
  return batches;
}
