//===- VJPOpInterface.h - Derivative rules as an interface ------*- C++ -*-===//
#ifndef SEQC_INTERFACES_VJPOPINTERFACE_H
#define SEQC_INTERFACES_VJPOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "seqc/Interfaces/VJPOpInterface.h.inc"

#endif // SEQC_INTERFACES_VJPOPINTERFACE_H
