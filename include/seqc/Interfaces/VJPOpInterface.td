//===- VJPOpInterface.td - Derivative rules as an interface -*- tablegen -*-===//
#ifndef SEQC_INTERFACES_VJPOPINTERFACE_TD
#define SEQC_INTERFACES_VJPOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def Seq_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let cppNamespace = "::seqc::seq";
  let description = [{
    The reverse-mode derivative rule of an op. Given the cotangents of the
    op's results (the gradient of a scalar with respect to each result), the
    op builds, at the builder's insertion point, the cotangent of each
    operand: the vector-Jacobian product. The autodiff pass calls it for
    every op in reverse order and sums the cotangents of values used more
    than once.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the cotangents of the operands from `resultGrads` (one per
        result, null where a result has no cotangent) into `operandGrads`
        (one per operand; null for an operand that is not differentiable,
        such as integer indices). Fails with a diagnostic when the rule
        does not apply.
      }],
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif // SEQC_INTERFACES_VJPOPINTERFACE_TD
