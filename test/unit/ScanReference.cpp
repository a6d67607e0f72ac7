//===- ScanReference.cpp - What the seq.scan tests check against ----------===//
#include "ScanReference.h"

#include <cmath>

using namespace seqc::rt;

namespace seqc::test {

Tensor randomTensor(llvm::ArrayRef<int64_t> shape, Rng &rng, double low,
                    double high) {
  Tensor tensor(DType::F64, shape);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    tensor.setDouble(i, rng.uniform(low, high));
  return tensor;
}

std::map<std::string, Tensor> sampleArguments(const CellSpec &spec,
                                              int64_t steps, int64_t batch,
                                              uint64_t seed) {
  Rng rng(seed);
  std::map<std::string, Tensor> values;
  values["W"] = randomTensor({H, H}, rng, -0.8, 0.8);
  values["U"] = randomTensor({H, P}, rng, -0.8, 0.8);
  values["b"] = randomTensor({H}, rng, -0.5, 0.5);
  values["h0"] = randomTensor({batch, H}, rng, -0.5, 0.5);
  if (spec.twoStates)
    values["c0"] = randomTensor({batch, H}, rng, -0.5, 0.5);
  values["xs"] = randomTensor({steps, batch, P}, rng);
  if (spec.masked) {
    // Masks in (0, 1) so that every element matters; a real mask is 0 or 1.
    values["mask"] = randomTensor({steps, batch, 1}, rng, 0.1, 0.9);
  }
  values["w"] = randomTensor({steps, batch, H}, rng);
  values["v"] = randomTensor({batch, H}, rng);
  return values;
}

std::pair<Tensor, Tensor> referenceScan(const CellSpec &spec,
                                        std::map<std::string, Tensor> &values) {
  const Tensor &W = values["W"], &U = values["U"], &b = values["b"];
  const Tensor &xs = values["xs"];
  int64_t steps = xs.dim(0), batch = xs.dim(1);
  Tensor h = values["h0"];
  Tensor c = spec.twoStates ? values["c0"] : Tensor();
  Tensor hs(DType::F64, {steps, batch, H});
  for (int64_t i = 0; i < steps; ++i) {
    int64_t t = spec.reverse ? steps - 1 - i : i;
    Tensor next(DType::F64, {batch, H});
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t r = 0; r < H; ++r) {
        double z = b.getDouble(r);
        for (int64_t j = 0; j < H; ++j)
          z += W.getDouble(r * H + j) * h.getDouble(n * H + j);
        for (int64_t p = 0; p < P; ++p)
          z += U.getDouble(r * P + p) * xs.getDouble((t * batch + n) * P + p);
        double hn;
        if (spec.twoStates) {
          double cn =
              c.getDouble(n * H + r) / (1 + std::exp(-z)) + std::tanh(z);
          c.setDouble(n * H + r, cn);
          hn = std::tanh(cn);
        } else {
          hn = std::tanh(z);
        }
        if (spec.masked) {
          double m = values["mask"].getDouble(t * batch + n);
          hn = m * hn + (1 - m) * h.getDouble(n * H + r);
        }
        next.setDouble(n * H + r, hn);
        hs.setDouble((t * batch + n) * H + r, hn);
      }
    }
    h = next;
  }
  return {h, hs};
}

double referenceLoss(const CellSpec &spec,
                     std::map<std::string, Tensor> &values) {
  auto [hT, hs] = referenceScan(spec, values);
  double loss = 0;
  for (int64_t i = 0; i < hs.numElements(); ++i)
    loss += hs.getDouble(i) * values["w"].getDouble(i);
  for (int64_t i = 0; i < hT.numElements(); ++i)
    loss += hT.getDouble(i) * values["v"].getDouble(i);
  return loss;
}

} // namespace seqc::test
