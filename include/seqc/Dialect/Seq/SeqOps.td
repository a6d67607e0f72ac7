//===- SeqOps.td - seq dialect operations ------------------*- tablegen -*-===//
#ifndef SEQC_DIALECT_SEQ_SEQOPS_TD
#define SEQC_DIALECT_SEQ_SEQOPS_TD

include "seqc/Dialect/Seq/SeqBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/OpBase.td"
include "seqc/Interfaces/UnaryElementwiseOpInterface.td"
include "seqc/Interfaces/VJPOpInterface.td"

// Every op carries its derivative rule.
defvar VJP = DeclareOpInterfaceMethods<Seq_VJPOpInterface>;

// An op whose result type follows from its operands and attributes. The one
// shape rule, `inferShape` in SeqOps.cpp, both checks the operands
// (the verifier) and gives the result type (builders without a result type),
// so MLIRGen and the derivative rules never compute a shape themselves. A
// static size in the result may refine a dynamic one the rule gives.
class Seq_InferredOp<string mnemonic, list<Trait> traits = []>
    : Seq_Op<mnemonic, traits # [Pure, VJP,
                                 InferTypeOpAdaptorWithIsCompatible]> {
  let extraClassDeclaration = [{
    /// The shape rule: checks the operands and attributes, reporting
    /// through `rule`, and gives the result type to `rule.result`.
    static ::llvm::LogicalResult inferShape(::seqc::seq::ShapeRule &rule,
                                            Adaptor adaptor);
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      ::seqc::seq::ShapeRule rule(loc, getOperationName(), types);
      return inferShape(rule, adaptor);
    }
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange actual) {
      return ::seqc::seq::compatibleTypes(inferred, actual);
    }
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// An elementwise unary op is defined once, here, by three things: its
// summary (the reference docs), `scalar`, the function of one element `x`,
// built with `s` (a ScalarBuilder) in arith and math ops, which
// convert-seq-to-linalg applies to every element, and `derivative`, the
// cotangent of the operand from the result's, `grad`, built with `g` (a
// GradBuilder) in seq ops from the operand `x` and the result `y`, or a null
// Value where there is none. Autodiff, fusion, hoisting and the lowering
// then treat every such op alike.
class Seq_UnaryOp<string mnemonic, string desc, code scalar, code derivative>
    : Seq_Op<mnemonic, [Pure, SameOperandsAndResultType, VJP,
                        DeclareOpInterfaceMethods<
                            Seq_UnaryElementwiseOpInterface>]> {
  let summary = "elementwise " # desc;
  let arguments = (ins Seq_FloatTensor:$input);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let extraClassDeclaration = [{
    /// The cotangent of the operand `x` from that of the result `y`.
    ::mlir::Value buildDerivative(GradBuilder &g, ::mlir::Value x,
                                  ::mlir::Value y, ::mlir::Value grad);
  }];
  let extraClassDefinition = [{
    ::mlir::Value $cppClass::buildScalar(::mlir::OpBuilder &builder,
                                         ::mlir::Location loc,
                                         ::mlir::Value x) {
      ScalarBuilder s(builder, loc);
  }] # scalar # [{
    }
    ::mlir::Value $cppClass::buildDerivative(GradBuilder &g, ::mlir::Value x,
                                             ::mlir::Value y,
                                             ::mlir::Value grad) {
  }] # derivative # [{
    }
    ::llvm::LogicalResult $cppClass::buildVJP(
        ::mlir::OpBuilder &builder, ::mlir::ValueRange resultGrads,
        ::llvm::SmallVectorImpl<::mlir::Value> &operandGrads) {
      GradBuilder g(builder, getLoc());
      operandGrads.assign(
          {buildDerivative(g, getInput(), getResult(), resultGrads[0])});
      return ::mlir::success();
    }
  }];
}

// An elementwise unary op with a float parameter `alpha`.
class Seq_UnaryAlphaOp<string mnemonic, string desc, code scalar,
                       code derivative>
    : Seq_UnaryOp<mnemonic, desc, scalar, derivative> {
  let arguments = (ins Seq_FloatTensor:$input, F64Attr:$alpha);
  let assemblyFormat = "$input `alpha` `=` $alpha attr-dict `:` type($result)";
}

def Seq_NegOp : Seq_UnaryOp<"neg", "negation",
    [{ return s.create<arith::NegFOp>(x); }],
    [{ return g.unary<NegOp>(grad); }]>;

def Seq_SigmoidOp : Seq_UnaryOp<"sigmoid",
    "logistic sigmoid 1 / (1 + exp(-x))",
    [{
      Value one = s.constantLike(x, 1.0);
      Value expNeg = s.create<math::ExpOp>(s.create<arith::NegFOp>(x));
      return s.create<arith::DivFOp>(one, s.create<arith::AddFOp>(one, expNeg));
    }],
    [{
      // d sigmoid = y (1 - y)
      Value slope = g.mul(y, g.sub(g.scalarLike(1.0, y), y));
      return g.mul(grad, slope);
    }]>;

def Seq_TanhOp : Seq_UnaryOp<"tanh", "hyperbolic tangent",
    [{ return s.create<math::TanhOp>(x); }],
    [{
      // d tanh = 1 - y^2
      Value slope = g.sub(g.scalarLike(1.0, y), g.mul(y, y));
      return g.mul(grad, slope);
    }]>;

def Seq_ReluOp : Seq_UnaryOp<"relu", "rectifier max(x, 0)",
    [{ return s.create<arith::MaximumFOp>(x, s.constantLike(x, 0.0)); }],
    [{ return g.mul(grad, g.unary<StepOp>(x)); }]>;

def Seq_ExpOp : Seq_UnaryOp<"exp", "exponential",
    [{ return s.create<math::ExpOp>(x); }],
    [{ return g.mul(grad, y); }]>;

def Seq_LogOp : Seq_UnaryOp<"log", "natural logarithm",
    [{ return s.create<math::LogOp>(x); }],
    [{ return g.div(grad, x); }]>;

def Seq_SqrtOp : Seq_UnaryOp<"sqrt", "square root",
    [{ return s.create<math::SqrtOp>(x); }],
    [{
      // d sqrt = 1 / (2 y)
      Value twiceY = g.mul(g.scalarLike(2.0, y), y);
      return g.div(grad, twiceY);
    }]>;

def Seq_AbsOp : Seq_UnaryOp<"abs", "absolute value",
    [{ return s.create<math::AbsFOp>(x); }],
    [{ return g.mul(grad, g.unary<SignOp>(x)); }]>;

def Seq_StepOp : Seq_UnaryOp<"step", "unit step: 1 for x > 0, 0 otherwise",
    [{
      Value zero = s.constantLike(x, 0.0);
      Value positive =
          s.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x, zero);
      return s.create<arith::SelectOp>(positive, s.constantLike(x, 1.0), zero);
    }],
    [{ return nullptr; }]>;

def Seq_SignOp : Seq_UnaryOp<"sign",
    "sign: 1 for x > 0, -1 for x < 0, 0 at 0",
    [{
      Value zero = s.constantLike(x, 0.0);
      Value positive =
          s.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, x, zero);
      Value negative =
          s.create<arith::CmpFOp>(arith::CmpFPredicate::OLT, x, zero);
      Value negativeOrZero = s.create<arith::SelectOp>(
          negative, s.constantLike(x, -1.0), zero);
      return s.create<arith::SelectOp>(positive, s.constantLike(x, 1.0),
                                       negativeOrZero);
    }],
    [{ return nullptr; }]>;

def Seq_SoftplusOp : Seq_UnaryOp<"softplus", "softplus log(1 + exp(x))",
    [{
      // max(x, 0) + log(1 + exp(-|x|)): exp never overflows.
      Value positivePart =
          s.create<arith::MaximumFOp>(x, s.constantLike(x, 0.0));
      Value negativeAbs = s.create<arith::NegFOp>(s.create<math::AbsFOp>(x));
      Value expNegativeAbs = s.create<math::ExpOp>(negativeAbs);
      Value onePlus =
          s.create<arith::AddFOp>(s.constantLike(x, 1.0), expNegativeAbs);
      Value logPart = s.create<math::LogOp>(onePlus);
      return s.create<arith::AddFOp>(positivePart, logPart);
    }],
    [{
      // d softplus = sigmoid(x)
      return g.mul(grad, g.unary<SigmoidOp>(x));
    }]>;

def Seq_LeakyReluOp : Seq_UnaryAlphaOp<"leaky_relu",
    "leaky rectifier: x for x > 0, alpha * x otherwise",
    [{
      Value alpha = s.constantLike(x, getAlpha().convertToDouble());
      return s.positiveOr(x, s.create<arith::MulFOp>(alpha, x));
    }],
    [{
      // slope = alpha + (1 - alpha) * step(x)
      double alpha = getAlpha().convertToDouble();
      Value slope = g.add(g.scalarLike(alpha, x),
                          g.mul(g.scalarLike(1.0 - alpha, x),
                                g.unary<StepOp>(x)));
      return g.mul(grad, slope);
    }]>;

def Seq_EluOp : Seq_UnaryAlphaOp<"elu",
    "exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise",
    [{
      Value alpha = s.constantLike(x, getAlpha().convertToDouble());
      Value expm1 = s.create<math::ExpM1Op>(x);
      return s.positiveOr(x, s.create<arith::MulFOp>(alpha, expm1));
    }],
    [{
      // slope = 1 for x > 0, alpha * exp(x) = y + alpha otherwise
      Value positive = g.unary<StepOp>(x);
      Value negativeSlope =
          g.add(y, g.scalarLike(getAlpha().convertToDouble(), y));
      Value slope = g.add(
          positive, g.mul(g.sub(g.scalarLike(1.0, x), positive),
                          negativeSlope));
      return g.mul(grad, slope);
    }]>;

class Seq_BinaryOp<string mnemonic, string desc>
    : Seq_InferredOp<mnemonic> {
  let summary = "elementwise " # desc # " with broadcasting";
  let description = [{
    Operands broadcast as in numpy: shapes are aligned at their trailing
    axes, and an axis of size 1 (or a missing leading axis) stretches to the
    other operand's size. The result has the broadcast shape.
  }];
  let arguments = (ins Seq_FloatTensor:$lhs, Seq_FloatTensor:$rhs);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Seq_AddOp : Seq_BinaryOp<"add", "addition">;
def Seq_SubOp : Seq_BinaryOp<"sub", "subtraction">;
def Seq_MulOp : Seq_BinaryOp<"mul", "multiplication">;
def Seq_DivOp : Seq_BinaryOp<"div", "division">;
def Seq_EqualOp : Seq_BinaryOp<"equal",
    "comparison giving 1 where the operands are equal and 0 elsewhere">;

//===----------------------------------------------------------------------===//
// Contractions and data movement
//===----------------------------------------------------------------------===//

def Seq_MatMulOp : Seq_InferredOp<"matmul"> {
  let summary = "matrix product, optionally batched and transposed";
  let description = [{
    `lhs` is `[M, K]` (or `[K, M]` with `transpose_lhs`) and `rhs` is
    `[K, N]` (or `[N, K]` with `transpose_rhs`); the result is `[M, N]`.
    Either operand may carry a leading batch axis `B` (rank 3); the other is
    then shared by every batch entry, and the result is `[B, M, N]`.

    The per-instance product `W @ x[t]` of a `[H, P]` weight with a batch of
    vectors `[N, P]` is `seq.matmul %x, %W {transpose_rhs}`: one GEMM over the
    batch.

    ```mlir
    %y = seq.matmul %x, %W {transpose_rhs}
        : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
    ```

    With `sum_batch`, both operands are rank 3 and the products of the batch
    entries are summed: the result is `[M, N]`, `sum_b op(lhs[b]) op(rhs[b])`.
    The weight gradient of a recurrence, `sum_t g[t]^T x[t]` over stacked
    `[T, N, H]` and `[T, N, P]`, is one such op, which lowers to one GEMM
    contracting over `T * N` rows (with `transpose_lhs`).

    ```mlir
    %dU = seq.matmul %gs, %xs {sum_batch, transpose_lhs}
        : tensor<?x?x16xf32>, tensor<?x?x4xf32> -> tensor<16x4xf32>
    ```
  }];
  let arguments = (ins Seq_FloatTensor:$lhs, Seq_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs,
                       UnitAttr:$sum_batch);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasCanonicalizer = 1;
}

def Seq_TransposeOp : Seq_InferredOp<"transpose"> {
  let summary = "permutes the axes of a tensor";
  let arguments = (ins Seq_FloatTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Seq_SoftmaxOp : Seq_Op<"softmax", [Pure, VJP, SameOperandsAndResultType]> {
  let summary = "softmax along an axis (computed as exp(x - max) / sum)";
  let arguments = (ins Seq_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Seq_LogSoftmaxOp : Seq_Op<"log_softmax", [Pure, VJP, SameOperandsAndResultType]> {
  let summary = "log-softmax along an axis (x - max - log(sum(exp(x - max))))";
  let arguments = (ins Seq_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Seq_MaxoutOp : Seq_InferredOp<"maxout"> {
  let summary = "maximum over k pieces of the last axis";
  let description = [{
    The last axis, of size `D`, is viewed as `[k, D / k]`; the result is the
    elementwise maximum of the `k` pieces and has last axis `D / k`.
  }];
  let arguments = (ins Seq_FloatTensor:$input, I64Attr:$k);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input `k` `=` $k attr-dict `:` type($input) `->` type($result)
  }];
}

def Seq_ConcatOp : Seq_InferredOp<"concat"> {
  let summary = "concatenation along an axis";
  let arguments = (ins Variadic<Seq_FloatTensor>:$inputs, I64Attr:$axis);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasFolder = 1;
}

def Seq_SliceOp : Seq_InferredOp<"slice"> {
  let summary = "contiguous slice [start, start + size) of one axis";
  let arguments = (ins Seq_FloatTensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$size);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis `start` `=` $start `size` `=` $size attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Seq_ExpandDimsOp : Seq_InferredOp<"expand_dims"> {
  let summary = "inserts an axis of size 1";
  let arguments = (ins Seq_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis attr-dict `:` type($input) `->` type($result)
  }];
}

def Seq_SqueezeOp : Seq_InferredOp<"squeeze"> {
  let summary = "removes an axis of size 1";
  let arguments = (ins Seq_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Seq_GatherOp : Seq_InferredOp<"gather"> {
  let summary = "rows of a table selected by integer indices (embedding)";
  let description = [{
    `table` is `[V, E]`, `indices` has any shape `S`; the result is
    `S ++ [E]`, row `indices[i]` of the table at position `i`.
  }];
  let arguments = (ins Seq_FloatTensor:$table, Seq_IndexTensor:$indices);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $indices `]` attr-dict `:` type($table) `,` type($indices)
    `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Seq_ReduceOp<string mnemonic, string desc>
    : Seq_InferredOp<mnemonic> {
  let summary = desc # " over the listed axes, which are removed";
  let arguments = (ins Seq_FloatTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input $axes attr-dict `:` type($input) `->` type($result)
  }];
}

def Seq_ReduceSumOp : Seq_ReduceOp<"reduce_sum", "sum">;
def Seq_ReduceMeanOp : Seq_ReduceOp<"reduce_mean", "mean">;
def Seq_ReduceMaxOp : Seq_ReduceOp<"reduce_max", "maximum">;

//===----------------------------------------------------------------------===//
// Ops that derivative rules and losses are built from
//===----------------------------------------------------------------------===//

def Seq_BroadcastLikeOp : Seq_InferredOp<"broadcast_like"> {
  let summary = "broadcasts a tensor to the shape of another";
  let description = [{
    `input` broadcasts numpy-style to the shape of `like`, whose values are
    not read: it supplies the (possibly dynamic) target sizes.
  }];
  let arguments = (ins Seq_FloatTensor:$input, AnyRankedTensor:$like);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $like attr-dict `:` type($input) `,` type($like) `->`
    type($result)
  }];
}

def Seq_PadOp : Seq_InferredOp<"pad"> {
  let summary = "pads one axis with zeros before and after";
  let arguments = (ins Seq_FloatTensor:$input, I64Attr:$axis, I64Attr:$before,
                       I64Attr:$after);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $input `axis` `=` $axis `before` `=` $before `after` `=` $after attr-dict
    `:` type($input) `->` type($result)
  }];
}

def Seq_ScatterAddOp : Seq_InferredOp<"scatter_add"> {
  let summary = "sums rows into a table at integer indices (gather's adjoint)";
  let description = [{
    `updates` is `S ++ [E]`, `indices` is `S`; the result is a `[rows, E]`
    table of zeros to which row `i` of `updates` is added at row
    `indices[i]`.
  }];
  let arguments = (ins Seq_FloatTensor:$updates, Seq_IndexTensor:$indices,
                       I64Attr:$rows);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $updates `[` $indices `]` `rows` `=` $rows attr-dict `:` type($updates)
    `,` type($indices) `->` type($result)
  }];
}

def Seq_OneHotOp : Seq_Op<"one_hot", [Pure, VJP]> {
  let summary = "one-hot encoding of integer class indices";
  let arguments = (ins Seq_IndexTensor:$indices, I64Attr:$depth);
  let results = (outs Seq_FloatTensor:$result);
  let assemblyFormat = [{
    $indices `depth` `=` $depth attr-dict `:` type($indices) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Recurrence over time
//===----------------------------------------------------------------------===//

def Seq_ScanOp : Seq_Op<"scan", [AttrSizedOperandSegments, IsolatedFromAbove,
                                 RecursiveMemoryEffects, VJP]> {
  let summary = "a loop over the time axis with carried state";
  let description = [{
    Runs its body once per time step `t` of the `sequences` (time-major:
    each is `[T] ++ S_i` with one common `T`), carrying `m` states.

    Operands: `inits` (the `m` initial states), `sequences` (`k >= 1` values
    read one step at a time), `captures` (`c` values read whole at every
    step: parameters and anything else the body uses; the body is isolated
    from above so that every dependency of a step is an operand).

    The body's block arguments are the `m` states, the `k` slices (each
    sequence's type without its leading axis) and the `c` captures. Its
    `seq.yield` gives the `m` new states (of the inits' types) and, after
    `outs`, `o` per-step outputs.

    Results: the `m` final states, then the `o` per-step outputs stacked
    along a leading time axis (`[T] ++` the per-step type). With `reverse`,
    steps run from `t = T - 1` down to 0; the output of step `t` is still
    stored at index `t`. With `T = 0` the final states are the inits.

    `unroll = u` (default 1) asks the lowering for `u` steps per loop
    iteration (and a remainder loop); the result is the same.

    Two options change only the derivative (the forward is the same):

    - `tbptt = k` (default 0: off), truncated BPTT. Steps are counted in the
      scan's processing order (`p = t`, or `T - 1 - t` with `reverse`) and
      cut into windows of `k`; the cotangent of the state that enters a
      step with `p` a multiple of `k` (including `p = 0`: the inits get no
      gradient) is dropped, so that no gradient crosses a window's start.
      Within a window, and from the outputs and the final states, gradients
      flow as usual.
    - `checkpoint = k` (default 0: save every state), recomputation. The
      derivative saves only the state entering every `k`-th step (`ceil(T /
      k)` states) and, segment by segment, recomputes the `k` states of a
      segment from its checkpoint before running the segment's reverse
      steps; the gradients are those of plain BPTT. With `tbptt` as well,
      `k` is rounded up to a multiple of the window so that segments start
      windows.

    Per-step masks of variable-length sequences are ordinary sequences that
    the body blends with: `new = m * new + (1 - m) * old`.

    ```mlir
    %hT, %hs = seq.scan inits(%h0 : tensor<?x16xf32>)
                        over(%xs : tensor<?x?x8xf32>)
                        captures(%W, %U : tensor<16x16xf32>, tensor<16x8xf32>)
        -> (tensor<?x16xf32>, tensor<?x?x16xf32>) {
    ^bb0(%h: tensor<?x16xf32>, %x: tensor<?x8xf32>,
         %w: tensor<16x16xf32>, %u: tensor<16x8xf32>):
      ...
      seq.yield %hn : tensor<?x16xf32> outs(%hn : tensor<?x16xf32>)
    }
    ```
  }];
  let arguments = (ins Variadic<Seq_FloatTensor>:$inits,
                       Variadic<AnyRankedTensor>:$sequences,
                       Variadic<AnyRankedTensor>:$captures,
                       UnitAttr:$reverse,
                       DefaultValuedAttr<I64Attr, "1">:$unroll,
                       DefaultValuedAttr<I64Attr, "0">:$tbptt,
                       DefaultValuedAttr<I64Attr, "0">:$checkpoint);
  let results = (outs Variadic<Seq_FloatTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    (`reverse` $reverse^)?
    (`inits` `(` $inits^ `:` type($inits) `)`)?
    `over` `(` $sequences `:` type($sequences) `)`
    (`captures` `(` $captures^ `:` type($captures) `)`)?
    attr-dict-with-keyword `->` `(` type($results) `)` $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// A scan whose body block has its arguments (states, slices,
    /// captures) and nothing else: the caller fills it, ending with a
    /// seq.yield.
    static ScanOp createWithBody(::mlir::OpBuilder &b, ::mlir::Location loc,
                                 ::mlir::TypeRange resultTypes,
                                 ::mlir::ValueRange inits,
                                 ::mlir::ValueRange sequences,
                                 ::mlir::ValueRange captures,
                                 bool reverse = false, int64_t unroll = 1);
    unsigned getNumStates() { return getInits().size(); }
    unsigned getNumOutputs() { return getResults().size() - getNumStates(); }
    /// The final states and the stacked per-step outputs.
    ::mlir::ResultRange getFinals() {
      return getResults().take_front(getNumStates());
    }
    ::mlir::ResultRange getOutputs() {
      return getResults().drop_front(getNumStates());
    }
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    ::mlir::Block::BlockArgListType getStateArgs() {
      return getBodyBlock().getArguments().take_front(getNumStates());
    }
    ::mlir::Block::BlockArgListType getSliceArgs() {
      return getBodyBlock().getArguments().slice(getNumStates(),
                                                 getSequences().size());
    }
    ::mlir::Block::BlockArgListType getCaptureArgs() {
      return getBodyBlock().getArguments().take_back(getCaptures().size());
    }
    YieldOp getYield();
    /// The per-step type of a time-major sequence: its type without the
    /// leading axis.
    static ::mlir::RankedTensorType sliceType(::mlir::Type sequenceType);
    /// `[time] ++ stepType`: a per-step type stacked along time.
    static ::mlir::RankedTensorType stackedType(int64_t time,
                                                ::mlir::Type stepType);
    /// The number of steps as the types know it: the static leading size of
    /// a sequence, or ShapedType::kDynamic.
    int64_t getStaticTime();

    /// The derivative without `checkpoint`: an augmented forward that
    /// saves every state, and the backward scan.
    ::mlir::LogicalResult
    buildBPTT(::mlir::OpBuilder &b, ::mlir::ValueRange resultGrads,
              ::llvm::SmallVectorImpl<::mlir::Value> &operandGrads);
    /// The derivative with `checkpoint`: the scan split into segments.
    ::mlir::LogicalResult
    buildCheckpointedBPTT(::mlir::OpBuilder &b, ::mlir::ValueRange resultGrads,
                          ::llvm::SmallVectorImpl<::mlir::Value> &operandGrads);
  }];
}

def Seq_YieldOp : Seq_Op<"yield", [Pure, Terminator,
                                   AttrSizedOperandSegments,
                                   HasParent<"ScanOp">]> {
  let summary = "the new states and per-step outputs of a seq.scan step";
  let arguments = (ins Variadic<Seq_FloatTensor>:$states,
                       Variadic<Seq_FloatTensor>:$outs);
  let assemblyFormat = [{
    ($states^ `:` type($states))? (`outs` `(` $outs^ `:` type($outs) `)`)?
    attr-dict
  }];
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

def Seq_AdamUpdateOp : Seq_Op<"adam_update", [Pure,
    AllTypesMatch<["param", "grad", "m", "v", "new_param", "new_m", "new_v"]>,
    AllTypesMatch<["lr", "bias1", "bias2", "scale"]>]> {
  let summary = "one Adam step of a parameter, in one pass over its elements";
  let description = [{
    With g = scale * grad (scale: the global-norm clipping factor):
    m' = beta1 m + (1 - beta1) g, v' = beta2 v + (1 - beta2) g^2,
    param' = param - lr (m' / bias1) / (sqrt(v' / bias2) + epsilon), where
    bias1 = 1 - beta1^t and bias2 = 1 - beta2^t are 0-d tensors like lr and
    scale. One op, so that the update of each parameter lowers to one loop
    writing the parameter and both moments.
  }];
  let arguments = (ins Seq_FloatTensor:$param, Seq_FloatTensor:$grad,
                       Seq_FloatTensor:$m, Seq_FloatTensor:$v,
                       Seq_FloatTensor:$lr, Seq_FloatTensor:$bias1,
                       Seq_FloatTensor:$bias2, Seq_FloatTensor:$scale,
                       F64Attr:$beta1, F64Attr:$beta2, F64Attr:$epsilon);
  let results = (outs Seq_FloatTensor:$new_param, Seq_FloatTensor:$new_m,
                      Seq_FloatTensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `lr` $lr `bias` `(` $bias1 `,` $bias2 `)`
    `scale` $scale attr-dict `:` type($param) `,` type($lr)
  }];
  let hasVerifier = 1;
}

#endif // SEQC_DIALECT_SEQ_SEQOPS_TD
