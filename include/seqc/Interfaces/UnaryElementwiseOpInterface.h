//===- UnaryElementwiseOpInterface.h - One function per element -*- C++ -*-===//
#ifndef SEQC_INTERFACES_UNARYELEMENTWISEOPINTERFACE_H
#define SEQC_INTERFACES_UNARYELEMENTWISEOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "seqc/Interfaces/UnaryElementwiseOpInterface.h.inc"

#endif // SEQC_INTERFACES_UNARYELEMENTWISEOPINTERFACE_H
