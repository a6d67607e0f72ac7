//===- SeqDialect.h - The seq dialect ---------------------------*- C++ -*-===//
#ifndef SEQC_DIALECT_SEQ_SEQDIALECT_H
#define SEQC_DIALECT_SEQ_SEQDIALECT_H

#include "mlir/IR/Dialect.h"

#include "seqc/Dialect/Seq/SeqDialect.h.inc"

#endif // SEQC_DIALECT_SEQ_SEQDIALECT_H
