//===- SeqBase.td - The seq dialect ------------------------*- tablegen -*-===//
#ifndef SEQC_DIALECT_SEQ_SEQBASE_TD
#define SEQC_DIALECT_SEQ_SEQBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"

def Seq_Dialect : Dialect {
  let name = "seq";
  let cppNamespace = "::seqc::seq";
  let summary = "Value-semantics tensor ops for sequence models";
  let description = [{
    The `seq` dialect is what seqc's frontend emits: ops on ranked tensors of
    floats, with the batch dimension already added (the leading axis of every
    value that depends on an input). It is the level at which derivative
    rules, fusion and hoisting are expressed; `convert-seq-to-linalg` lowers
    it to linalg, tensor, arith and math.

    Model parameters and inputs are arguments of the entry functions, marked
    with the argument attributes `seq.param` (qualified name) plus `seq.init`
    (initializer) and `seq.input` (input name); an update step marks each
    new parameter `seq.updates = i`, the argument it replaces. The dialect
    verifies every `seq.*` attribute and rejects unknown ones.
  }];
  let dependentDialects = [];
  // The seq.* attributes (SeqDialect.h) are checked by the dialect.
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let hasConstantMaterializer = 0;
}

class Seq_Op<string mnemonic, list<Trait> traits = []>
    : Op<Seq_Dialect, mnemonic, traits>;

def Seq_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Seq_IndexTensor : RankedTensorOf<[AnySignlessInteger]>;

#endif // SEQC_DIALECT_SEQ_SEQBASE_TD
