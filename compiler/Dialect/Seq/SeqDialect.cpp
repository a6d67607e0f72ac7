//===- SeqDialect.cpp - The seq dialect -----------------------------------===//
//
// The dialect's registration and the verification of its attributes: every
// `seq.*` attribute on a function's arguments and results and on a module is
// checked here, once, so that the passes and the runtime that read them can
// rely on their form.
//
//===----------------------------------------------------------------------===//
#include "seqc/Dialect/Seq/SeqDialect.h"
#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

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

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

/// Checks that `attr` has the kind its name requires.
template <typename AttrT>
static LogicalResult expectKind(function_ref<InFlightDiagnostic()> emitError,
                                NamedAttribute attr, StringRef kind) {
  if (isa<AttrT>(attr.getValue()))
    return success();
  return emitError() << "'" << attr.getName().getValue() << "' must be " << kind
                     << ", got " << attr.getValue();
}

LogicalResult SeqDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                   unsigned argIndex,
                                                   NamedAttribute attr) {
  auto emitError = [&] {
    return op->emitOpError() << "argument #" << argIndex << ": ";
  };
  StringRef name = attr.getName().getValue();
  if (name == kParamAttr || name == kInputAttr || name == kStateAttr ||
      name == kHyperAttr)
    return expectKind<StringAttr>(emitError, attr, "a string");
  if (name == kInitAttr)
    return expectKind<DictionaryAttr>(emitError, attr, "a dictionary");
  if (name == kTimeAttr)
    return expectKind<IntegerAttr>(emitError, attr, "an integer");
  return emitError() << "unknown argument attribute '" << name << "'";
}

/// `seq.updates = i` on result `resultIndex`: argument `i` exists, has the
/// result's shape and element type (layouts may differ once bufferized), and
/// no other result updates it.
static LogicalResult verifyUpdates(Operation *op, unsigned resultIndex,
                                   NamedAttribute attr) {
  auto emitError = [&] {
    return op->emitOpError() << "result #" << resultIndex << ": ";
  };
  auto index = dyn_cast<IntegerAttr>(attr.getValue());
  if (!index || !index.getType().isSignlessInteger())
    return emitError() << "'" << kUpdatesAttr
                       << "' must be an integer argument index, got "
                       << attr.getValue();
  auto function = dyn_cast<FunctionOpInterface>(op);
  if (!function)
    return emitError() << "'" << kUpdatesAttr << "' is only for functions";
  ArrayRef<Type> arguments = function.getArgumentTypes();
  int64_t target = index.getInt();
  if (target < 0 || target >= static_cast<int64_t>(arguments.size()))
    return emitError() << "updates argument #" << target
                       << ", but the function has " << arguments.size()
                       << " arguments";
  Type resultType = function.getResultTypes()[resultIndex];
  auto argumentShaped = dyn_cast<ShapedType>(arguments[target]);
  auto resultShaped = dyn_cast<ShapedType>(resultType);
  if (!argumentShaped || !resultShaped ||
      argumentShaped.getShape() != resultShaped.getShape() ||
      argumentShaped.getElementType() != resultShaped.getElementType())
    return emitError() << "updates argument #" << target << " of type "
                       << arguments[target] << " with a value of type "
                       << resultType;
  for (unsigned other = 0; other < resultIndex; ++other) {
    auto otherIndex =
        function.getResultAttrOfType<IntegerAttr>(other, kUpdatesAttr);
    if (otherIndex && otherIndex.getInt() == target)
      return emitError() << "updates argument #" << target << ", which result #"
                         << other << " updates too";
  }
  return success();
}

LogicalResult SeqDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                      unsigned resultIndex,
                                                      NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kUpdatesAttr)
    return verifyUpdates(op, resultIndex, attr);
  auto emitError = [&] {
    return op->emitOpError() << "result #" << resultIndex << ": ";
  };
  if (name == kGradOfAttr || name == kOutputAttr)
    return expectKind<StringAttr>(emitError, attr, "a string");
  return emitError() << "unknown result attribute '" << name << "'";
}

LogicalResult SeqDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  auto emitError = [&] { return op->emitOpError(); };
  if (name == kModelAttr) {
    if (!isa<ModuleOp>(op))
      return op->emitOpError() << "'" << name << "' is only for modules";
    return expectKind<StringAttr>(emitError, attr, "a string");
  }
  return op->emitOpError() << "unknown attribute '" << name << "'";
}
