//===- SeqDialect.cpp - The seq dialect -----------------------------------===//
#include "seqc/Dialect/Seq/SeqDialect.h"
#include "seqc/Dialect/Seq/SeqOps.h"

using namespace mlir;
using namespace seqc::seq;

#include "seqc/Dialect/Seq/SeqDialect.cpp.inc"
#include "seqc/Interfaces/UnaryElementwiseOpInterface.cpp.inc"
#include "seqc/Interfaces/VJPOpInterface.cpp.inc"

void SeqDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "seqc/Dialect/Seq/SeqOps.cpp.inc"
      >();
}
