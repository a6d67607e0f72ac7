//===- ModelSignature.h - What a model takes and returns -------*- C++ -*-===//
//
// The entry points of a seq module as the runtime sees them: each argument
// is a parameter (`seq.param`, with its `seq.init`), optimizer state
// (`seq.state`, zero at the start), a hyperparameter given per call
// (`seq.hyper`, a 0-d float like "lr" or "step") or an input (`seq.input`).
// An entry point with state or hyper arguments is an update step (what
// seqc-train-step builds): it returns the loss, then a new value for each of
// its parameter arguments and each of its state arguments, in argument
// order. Reading the signature allocates nothing.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_MODELSIGNATURE_H
#define SEQC_RUNTIME_MODELSIGNATURE_H

#include "seqc/Runtime/Init.h"
#include "seqc/Runtime/Tensor.h"
#include "seqc/Runtime/TensorType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace seqc::rt {

struct ParamInfo {
  std::string name; // qualified: "fc1.W"
  TensorType type;  // fully static
  InitSpec init;
};

/// A tensor of optimizer state (`seq.state = "adam.m.fc.W"`): it has the
/// type of the parameter it belongs to and starts at zero.
struct StateInfo {
  std::string name; // "adam.m.fc.W"
  TensorType type;  // fully static
};

struct EntryArgument {
  enum class Kind { Param, State, Hyper, Input };
  Kind kind;
  std::string name; // the parameter's, state's, hyperparameter's or input's
  TensorType type;
  size_t paramIndex = 0; // into ModelSignature::params, for Kind::Param
  size_t stateIndex = 0; // into ModelSignature::states, for Kind::State
  /// A sequence input's time axis: inputs of one axis have one number of
  /// steps (seq.time; 0 when the entry has one axis).
  int64_t time = 0;
};

/// A hyperparameter's value for one call: a `seq.hyper` argument by name.
struct HyperValue {
  llvm::StringRef name;
  double value;
};

struct EntryPoint {
  std::string name;
  /// Every argument in call order as the function declares them.
  std::vector<EntryArgument> arguments;
  /// The inputs alone, in order: what a call takes besides the held tensors.
  std::vector<EntryArgument> inputs;
  /// The `seq.hyper` arguments, in order.
  std::vector<EntryArgument> hypers;
  std::vector<TensorType> results;
  /// `seq.output` result attributes where present, else "out" / "out<i>".
  std::vector<std::string> resultNames;
  /// An update step: it has state or hyper arguments, and returns the loss
  /// followed by the new value of each parameter and state argument.
  bool isUpdateStep = false;
  /// The update step writes the new values into the parameter and state
  /// buffers it is given (results marked `seq.updates`); `results` then holds
  /// the loss alone, what the compiled function returns.
  bool updatesInPlace = false;
  /// Per result of the function as declared: the argument it replaces in
  /// place (`seq.updates`), or -1.
  std::vector<int64_t> updatesArgument;
};

/// The largest tensor value that an entry point computes, with every
/// dynamic size (batch, steps) taken as 1: a lower bound of the memory one
/// call needs besides its arguments, known before anything is compiled.
struct LargestActivation {
  std::string entry; // "" when no entry point computes a tensor
  std::string type;  // "[1, 1000, 1000] f32", dynamic sizes as 1
  double bytes = 0;
};

struct ModelSignature {
  /// The module's `seq.model` attribute, or "" without one.
  std::string model;
  /// Entry points in module order.
  std::vector<EntryPoint> entries;
  llvm::StringMap<size_t> entryIndex;
  /// Parameters and optimizer state of all entry points, in order of first
  /// appearance.
  std::vector<ParamInfo> params;
  std::vector<StateInfo> states;
  LargestActivation largestActivation;

  const EntryPoint *entryPoint(llvm::StringRef name) const;
};

/// Reads the public functions of `module`. Fails when an argument is not
/// marked with exactly one of `seq.param`, `seq.state`, `seq.hyper` and
/// `seq.input`, a type is not a ranked tensor of f32, f64, i32 or i64, a
/// parameter or state has a dynamic shape or two declarations disagree, or
/// an update step's results do not match its parameter and state arguments.
llvm::Expected<ModelSignature> readModelSignature(mlir::ModuleOp module);

/// The values of a model's parameters and optimizer state, indexed as
/// ModelSignature::params and ::states: what the parameter and state
/// arguments of an entry point read (and an in-place update step writes).
struct HeldTensors {
  llvm::ArrayRef<Tensor> params;
  llvm::ArrayRef<Tensor> states;
};

/// "[2, 3] f32".
std::string describeTensor(const Tensor &tensor);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_MODELSIGNATURE_H
