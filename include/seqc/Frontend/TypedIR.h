//===- TypedIR.h - Elaborated, shape-checked model ------------------------===//
//
// The output of semantic analysis and the input of MLIRGen. Sema resolves
// names, instantiates layers with concrete dimensions, inlines every `fn` and
// layer call, and checks shapes. What is left is a flat list of parameters and,
// per entry point, a DAG of typed nodes in per-instance notation: each node's
// `type.dims` is the shape of one instance, and `type.batched` says whether it
// depends on the inputs (MLIRGen then adds a leading batch dimension).
//
// With FrontendOptions::withLoss, the train block's loss is the entry point
// "loss": the forward's inputs, then the target (a Token scalar for a class
// index), and a result that is the BatchMean of the per-instance loss plus
// the unbatched terms: an unbatched scalar, a rank-0 tensor after MLIRGen.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_TYPEDIR_H
#define SEQC_FRONTEND_TYPEDIR_H

#include "seqc/Spec/SourceLoc.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace seqc {
struct TrainSpec;
} // namespace seqc

namespace seqc::tir {

/// A source position, resolved to file:line:col for MLIR locations.
using Loc = SourceLoc;

/// One axis of a per-instance shape; `name` is the dimension's name in the
/// source ("H") or empty for a literal size.
struct Dim {
  std::string name;
  int64_t size = 0;
};

enum class ElemKind { Float, Token };

struct Type {
  std::vector<Dim> dims; // per-instance shape; empty = scalar
  bool batched = false;  // depends on an input: gets a leading batch axis
  /// A sequence (`seq<[P]>`): `dims` is the shape of one step; in MLIR the
  /// value is time-major, [T, N] ++ dims (the runtime feeds time-major
  /// inputs).
  bool sequence = false;
  /// Which time axis a sequence runs along: each sequence input of an entry
  /// point has its own (its own length and padding mask), numbered from 0
  /// in the order of the inputs; what is computed from a sequence keeps
  /// its time axis.
  int time = 0;
  ElemKind elem = ElemKind::Float;

  std::vector<int64_t> sizes() const {
    std::vector<int64_t> s;
    for (const Dim &d : dims)
      s.push_back(d.size);
    return s;
  }
  size_t rank() const { return dims.size(); }
};

enum class NodeKind {
  Param,    // paramIndex
  Input,    // inputIndex
  Constant, // scalar value `number` (type is a scalar, unbatched)
  // Elementwise binary with numpy (trailing-aligned) broadcasting.
  Add,
  Sub,
  Mul,
  Div,
// Elementwise unary: the builtins of Builtins.def (number = alpha for those
// with an alpha), negation and identity.
#define SEQC_UNARY_BUILTIN(Kind, name) Kind,
#define SEQC_UNARY_ALPHA_BUILTIN(Kind, name, alphaDefault) Kind,
#include "seqc/Frontend/Builtins.def"
  Neg,
  Identity,
  // Per-instance matrix products: [M,K]@[K,N], [M,K]@[K], [K]@[K,N], [K]@[K].
  MatMul,
  Transpose, // 2-D per-instance transpose
  Softmax,   // axis (per-instance, non-negative)
  LogSoftmax,
  Maxout,    // k: last axis of size D viewed as [k, D/k], max over k
  Concat,    // axis; any number of operands
  Slice,     // axis, start, size: keeps the axis
  Index,     // axis, start: drops the axis
  ReduceSum, // axis, or axis = -1 for all axes (result is a scalar)
  ReduceMean,
  ReduceMax,
  // Over the time axis of a sequence (operand 0), with its padding mask
  // (operand 1): padded steps do not count. The result is one value per
  // instance (not a sequence), except for SoftmaxOverTime, whose weights
  // are a sequence (0 on padded steps).
  SoftmaxOverTime,
  SumOverTime,
  MeanOverTime, // 0 for an empty sequence
  MaxOverTime,  // 0 for an empty sequence
  // Losses are desugared into the nodes above and these.
  OneHot,    // k = depth: a Token scalar (class index) -> a Float [k] 0/1
  BatchMean, // mean over the batch of a batched value: the result has the
             // operand's per-instance shape and is not batched. For a
             // sequence (a per-step loss), the sum over its real steps (the
             // mask is operand 1) averaged over the batch.
  Gather,    // operands: a [V, E] table and a Token index: row index, [E]
  // Recurrences (cells applied to sequences).
  Scan,    // operands: the sequences read step by step (one time axis),
           // then their padding mask; `scan` holds the step; the type is
           // the sequence of per-step outputs. On padded steps the states
           // keep their values.
  StepArg, // a block argument of a Scan's step: inputIndex = the state's
           // index, or the number of states + the sequence's index
  Last,    // the last step of a Scan (many-to-one); zeros when T = 0
};

struct Node;

/// One step of a Scan: the states at t-1 and the inputs at t are StepArg
/// nodes; `newStates` and `out` are computed from them and from values
/// outside the step (parameters, a context such as the encoder's states),
/// which the step reads whole at every step: they become the scan's
/// captures, and whatever in the step depends on them alone is computed
/// once, before the loop.
struct ScanStep {
  std::vector<const Node *> stateArgs;
  std::vector<double> stateInits; // broadcast to each state's shape
  /// A state's initial value given by the application (`dec(y, h = v)`),
  /// per instance; null: stateInits.
  std::vector<const Node *> stateInitValues;
  std::vector<const Node *> sequenceArgs;
  std::vector<const Node *> newStates;
  const Node *out = nullptr;
  bool reverse = false; // runs from the last step to the first
};

struct Node {
  NodeKind kind;
  Type type;
  Loc loc;
  std::vector<const Node *> operands;
  int paramIndex = -1;
  int inputIndex = -1;
  double number = 0.0;
  int64_t axis = -1;
  int64_t start = 0;
  int64_t size = 0;
  int64_t k = 0;
  std::shared_ptr<const ScanStep> scan; // Scan
};

enum class InitKind { Zeros, Constant, Uniform, Normal, Xavier, He };

struct InitSpec {
  InitKind kind = InitKind::Zeros;
  double a = 0.0; // constant value, uniform low, normal mean
  double b = 0.0; // uniform high, normal stddev
};

struct Param {
  std::string name; // qualified: "fc1.W"
  std::vector<Dim> shape;
  InitSpec init;
  Loc loc;
};

struct Input {
  std::string name;
  Type type; // batched
  Loc loc;
};

struct EntryPoint {
  std::string name; // "forward", "loss"
  std::vector<Input> inputs;
  const Node *result = nullptr;
  Loc loc;
  /// "loss": the index in `inputs` of the target (the `y` of the loss
  /// expression; always the last input), or -1 when the data has no target.
  /// The other inputs are the forward's, with the same names.
  int targetInput = -1;
};

/// A value of the `train` block, kept as written for the trainer.
struct Setting {
  std::string key;
  std::string text; // the expression as source text
  Loc loc;
};

struct Program {
  std::string modelName;
  Loc modelLoc;
  std::vector<std::pair<std::string, int64_t>> dims; // in declaration order
  std::vector<Param> params;
  std::vector<EntryPoint> entries;
  std::vector<Setting> trainSettings;
  /// The checked train block of the model (TrainSpec.h), or null if it has
  /// none.
  std::shared_ptr<const TrainSpec> train;

  /// Nodes are owned here; pointers into a deque stay valid.
  Node *newNode(NodeKind kind) {
    nodes.emplace_back();
    nodes.back().kind = kind;
    return &nodes.back();
  }

private:
  std::deque<Node> nodes;
};

} // namespace seqc::tir

#endif // SEQC_FRONTEND_TYPEDIR_H
