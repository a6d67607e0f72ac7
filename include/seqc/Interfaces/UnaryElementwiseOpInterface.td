//===- UnaryElementwiseOpInterface.td - Per element -*- tablegen -*-===//
#ifndef SEQC_INTERFACES_UNARYELEMENTWISEOPINTERFACE_TD
#define SEQC_INTERFACES_UNARYELEMENTWISEOPINTERFACE_TD

include "mlir/IR/OpBase.td"

def Seq_UnaryElementwiseOpInterface
    : OpInterface<"UnaryElementwiseOpInterface"> {
  let cppNamespace = "::seqc::seq";
  let description = [{
    An op that applies one scalar function to every element of its single
    operand, with a result of the operand's type. The op builds that
    function itself, so one lowering serves every such op:
    convert-seq-to-linalg wraps `buildScalar` into a linalg.generic.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds, at the builder's insertion point, the result element for
        the operand element `x` (a float scalar) in arith and math ops.
      }],
      "::mlir::Value", "buildScalar",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$x)>
  ];
}

#endif // SEQC_INTERFACES_UNARYELEMENTWISEOPINTERFACE_TD
