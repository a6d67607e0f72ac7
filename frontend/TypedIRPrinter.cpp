//===- TypedIRPrinter.cpp - --emit=tir ------------------------------------===//
//
// Prints the elaborated program: dims, params with their initializers, and
// per entry point its nodes in topological order, each with its
// per-instance shape and whether it is batched.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/Frontend.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace seqc;

static llvm::StringRef kindName(tir::NodeKind kind) {
  using K = tir::NodeKind;
  switch (kind) {
  case K::Param:
    return "param";
  case K::Input:
    return "input";
  case K::Constant:
    return "constant";
  case K::Add:
    return "add";
  case K::Sub:
    return "sub";
  case K::Mul:
    return "mul";
  case K::Div:
    return "div";
  case K::Neg:
    return "neg";
#define SEQC_UNARY_BUILTIN(Kind, name)                                         \
  case K::Kind:                                                                \
    return name;
#define SEQC_UNARY_ALPHA_BUILTIN(Kind, name, alphaDefault)                     \
  SEQC_UNARY_BUILTIN(Kind, name)
#include "seqc/Frontend/Builtins.def"
  case K::Identity:
    return "identity";
  case K::MatMul:
    return "matmul";
  case K::Transpose:
    return "transpose";
  case K::Softmax:
    return "softmax";
  case K::LogSoftmax:
    return "log_softmax";
  case K::Maxout:
    return "maxout";
  case K::Concat:
    return "concat";
  case K::Slice:
    return "slice";
  case K::Index:
    return "index";
  case K::ReduceSum:
    return "sum";
  case K::ReduceMean:
    return "mean";
  case K::ReduceMax:
    return "max";
  case K::OneHot:
    return "one_hot";
  case K::BatchMean:
    return "batch_mean";
  case K::Gather:
    return "gather";
  case K::Scan:
    return "scan";
  case K::StepArg:
    return "step_arg";
  case K::Last:
    return "last";
  case K::SoftmaxOverTime:
    return "softmax_over_time";
  case K::SumOverTime:
    return "sum_over_time";
  case K::MeanOverTime:
    return "mean_over_time";
  case K::MaxOverTime:
    return "max_over_time";
  }
  return "?";
}

static void printDims(const std::vector<tir::Dim> &dims,
                      llvm::raw_ostream &os) {
  os << "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      os << ", ";
    if (!dims[i].name.empty())
      os << dims[i].name << "=";
    os << dims[i].size;
  }
  os << "]";
}

/// A shape, or `token` for a class index; `seq<...>` for a sequence.
static void printStepType(const tir::Type &type, llvm::raw_ostream &os);
static void printType(const tir::Type &type, llvm::raw_ostream &os) {
  if (type.sequence) {
    os << "seq<";
    printStepType(type, os);
    os << ">";
    if (type.time != 0) // the time axis of the second sequence input, ...
      os << "@" << type.time;
    return;
  }
  printStepType(type, os);
}
static void printStepType(const tir::Type &type, llvm::raw_ostream &os) {
  if (type.elem == tir::ElemKind::Token) {
    os << "token";
    if (type.dims.empty())
      return;
    os << " ";
  }
  printDims(type.dims, os);
}

static void printInit(const tir::InitSpec &init, llvm::raw_ostream &os) {
  switch (init.kind) {
  case tir::InitKind::Zeros:
    os << "zeros";
    return;
  case tir::InitKind::Constant:
    os << "constant(" << llvm::format("%g", init.a) << ")";
    return;
  case tir::InitKind::Uniform:
    os << "uniform(" << llvm::format("%g", init.a) << ", "
       << llvm::format("%g", init.b) << ")";
    return;
  case tir::InitKind::Normal:
    os << "normal(" << llvm::format("%g", init.a) << ", "
       << llvm::format("%g", init.b) << ")";
    return;
  case tir::InitKind::Xavier:
    os << "xavier";
    return;
  case tir::InitKind::He:
    os << "he";
    return;
  }
}

static void printStrings(const std::vector<std::string> &names,
                         llvm::raw_ostream &os) {
  os << "[";
  for (size_t i = 0; i < names.size(); ++i)
    os << (i ? ", " : "") << "\"" << names[i] << "\"";
  os << "]";
}

/// The checked train block, every value explicit (defaults included), one
/// `train key = value` line per setting.
static void printTrainSpec(const TrainSpec &spec, llvm::raw_ostream &os) {
  const DataSpec &data = spec.data;
  os << "  train data = ";
  if (data.path.empty() && data.trainPath.empty() && data.classFiles.empty()) {
    os << "none\n";
  } else if (data.kind != DataSourceKind::Csv) {
    os << dataSourceName(data.kind) << "(";
    if (!data.classFiles.empty()) {
      os << "classes = ";
      printStrings(data.classFiles, os);
    } else if (!data.path.empty()) {
      os << "\"" << data.path << "\"";
    } else {
      os << "train = \"" << data.trainPath << "\", valid = \"" << data.validPath
         << "\"";
    }
    if (data.trainPath.empty())
      os << ", split = " << llvm::format("%g", data.split);
    if (data.kind == DataSourceKind::Series) {
      os << ", features = ";
      printStrings(data.features, os);
      os << ", target = ";
      printStrings(data.targets, os);
      os << ", standardize = " << (data.standardize ? "true" : "false");
    } else if (data.kind == DataSourceKind::Pairs) {
      os << ", source_unit = \"" << data.unit << "\", target_unit = \""
         << (data.targetUnit.empty() ? data.unit : data.targetUnit)
         << "\", min_count = " << data.minCount;
    } else if (data.kind == DataSourceKind::Tagged) {
      os << ", column = ";
      if (data.labelColumn)
        os << data.labelColumn;
      else
        os << "last";
      os << ", min_count = " << data.minCount;
    } else {
      os << ", unit = \"" << data.unit << "\", min_count = " << data.minCount;
      if (data.maxLength)
        os << ", max_len = " << data.maxLength;
    }
    if (data.window)
      os << ", window = " << data.window;
    os << ")\n";
  } else {
    os << (data.separator == '\t' ? "tsv(" : "csv(");
    if (!data.path.empty())
      os << "\"" << data.path
         << "\", split = " << llvm::format("%g", data.split);
    else
      os << "train = \"" << data.trainPath << "\", valid = \"" << data.validPath
         << "\"";
    os << ", features = ";
    if (data.features.empty())
      os << "all";
    else
      printStrings(data.features, os);
    switch (data.targetKind) {
    case TargetKind::None:
      break;
    case TargetKind::ClassIndex:
      os << ", label = \"" << data.targets.front() << "\"";
      break;
    case TargetKind::Scalar:
      os << ", target = \"" << data.targets.front() << "\"";
      break;
    case TargetKind::Vector:
      os << ", target = ";
      printStrings(data.targets, os);
      break;
    case TargetKind::MultiLabel:
      os << ", labels = ";
      printStrings(data.targets, os);
      break;
    }
    os << ", standardize = " << (data.standardize ? "true" : "false") << ")\n";
  }
  if (!spec.loss.empty())
    os << "  train loss = " << spec.loss << "\n";
  const OptimizerSpec &opt = spec.optimizer;
  os << "  train optimizer = " << optimizerName(opt.kind)
     << "(lr = " << llvm::format("%g", opt.lr);
  if (opt.kind == OptimizerKind::Adam)
    os << ", beta1 = " << llvm::format("%g", opt.beta1)
       << ", beta2 = " << llvm::format("%g", opt.beta2)
       << ", eps = " << llvm::format("%g", opt.epsilon);
  else
    os << ", momentum = " << llvm::format("%g", opt.momentum);
  os << ", clip_norm = ";
  if (opt.clipNorm > 0)
    os << llvm::format("%g", opt.clipNorm);
  else
    os << "none";
  os << ")\n";
  os << "  train batch = " << spec.batch << "\n";
  os << "  train epochs = " << spec.epochs << "\n";
  os << "  train seed = " << spec.seed << "\n";
  os << "  train shuffle = " << (spec.shuffle ? "true" : "false") << "\n";
  if (spec.tbptt)
    os << "  train tbptt = " << spec.tbptt << "\n";
  if (spec.recompute)
    os << "  train recompute = " << spec.recompute << "\n";
  if (spec.teacherForcingStart != 1.0 || spec.teacherForcingEnd != 1.0)
    os << "  train teacher_forcing = ["
       << llvm::format("%g", spec.teacherForcingStart) << ", "
       << llvm::format("%g", spec.teacherForcingEnd) << "]\n";
  os << "  train metrics = [";
  for (size_t i = 0; i < spec.metrics.size(); ++i) {
    os << (i ? ", " : "") << metricName(spec.metrics[i].kind);
    if (spec.metrics[i].kind == MetricKind::PrecisionAt)
      os << "(k = " << spec.metrics[i].k << ")";
  }
  os << "]\n";
}

namespace {
/// Numbers nodes in post order (operands first), printing each once.
class EntryPrinter {
public:
  EntryPrinter(const tir::Program &program, const tir::EntryPoint &entry,
               llvm::raw_ostream &os)
      : program(program), entry(entry), os(os) {}

  unsigned print(const tir::Node *node) {
    auto it = ids.find(node);
    if (it != ids.end())
      return it->second;
    std::vector<unsigned> operandIds;
    for (const tir::Node *operand : node->operands)
      operandIds.push_back(print(operand));
    // A scan's step first: its arguments, then what it computes.
    std::vector<unsigned> stepIds, initIds;
    if (node->scan) {
      for (const tir::Node *init : node->scan->stateInitValues)
        initIds.push_back(init ? print(init) : ~0u);
      for (const tir::Node *arg : node->scan->stateArgs)
        print(arg);
      for (const tir::Node *arg : node->scan->sequenceArgs)
        print(arg);
      for (const tir::Node *state : node->scan->newStates)
        stepIds.push_back(print(state));
      stepIds.push_back(print(node->scan->out));
    }
    unsigned id = ids.size();
    ids[node] = id;

    os << "    %" << id << " = " << kindName(node->kind);
    using K = tir::NodeKind;
    switch (node->kind) {
    case K::Param:
      if (node->paramIndex >= 0 &&
          size_t(node->paramIndex) < program.params.size())
        os << " " << program.params[node->paramIndex].name;
      break;
    case K::Input:
      if (node->inputIndex >= 0 &&
          size_t(node->inputIndex) < entry.inputs.size())
        os << " " << entry.inputs[node->inputIndex].name;
      break;
    case K::Constant:
      os << " " << llvm::format("%g", node->number);
      break;
    default:
      break;
    }
    for (size_t i = 0; i < operandIds.size(); ++i)
      os << (i ? ", %" : " %") << operandIds[i];
    switch (node->kind) {
#define SEQC_UNARY_ALPHA_BUILTIN(Kind, name, alphaDefault) case K::Kind:
#include "seqc/Frontend/Builtins.def"
      os << " {alpha = " << llvm::format("%g", node->number) << "}";
      break;
    case K::Softmax:
    case K::LogSoftmax:
    case K::Concat:
    case K::ReduceSum:
    case K::ReduceMean:
    case K::ReduceMax:
      os << " {axis = " << node->axis << "}";
      break;
    case K::Maxout:
      os << " {k = " << node->k << "}";
      break;
    case K::OneHot:
      os << " {depth = " << node->k << "}";
      break;
    case K::Slice:
      os << " {axis = " << node->axis << ", start = " << node->start
         << ", size = " << node->size << "}";
      break;
    case K::Index:
      os << " {axis = " << node->axis << ", index = " << node->start << "}";
      break;
    case K::StepArg:
      os << " {index = " << node->inputIndex << "}";
      break;
    case K::Scan: {
      const tir::ScanStep &step = *node->scan;
      os << " {inits = [";
      for (size_t i = 0; i < step.stateInits.size(); ++i) {
        os << (i ? ", " : "");
        if (i < initIds.size() && initIds[i] != ~0u)
          os << "%" << initIds[i];
        else
          os << llvm::format("%g", step.stateInits[i]);
      }
      os << "], states = [";
      for (size_t i = 0; i + 1 < stepIds.size(); ++i)
        os << (i ? ", %" : "%") << stepIds[i];
      os << "], out = %" << stepIds.back() << "}";
      if (step.reverse)
        os << " reverse";
      break;
    }
    default:
      break;
    }
    os << " : ";
    printType(node->type, os);
    if (node->type.batched)
      os << " batched";
    os << "\n";
    return id;
  }

private:
  const tir::Program &program;
  const tir::EntryPoint &entry;
  llvm::raw_ostream &os;
  llvm::DenseMap<const tir::Node *, unsigned> ids;
};
} // namespace

void seqc::printTypedIR(const tir::Program &program, llvm::raw_ostream &os) {
  os << "model " << program.modelName << "\n";
  for (const auto &[name, size] : program.dims)
    os << "  dim " << name << " = " << size << "\n";
  for (const tir::Param &param : program.params) {
    os << "  param " << param.name << ": ";
    printDims(param.shape, os);
    os << " = ";
    printInit(param.init, os);
    os << "\n";
  }
  for (const tir::EntryPoint &entry : program.entries) {
    os << "  entry " << entry.name << "(";
    for (size_t i = 0; i < entry.inputs.size(); ++i) {
      if (i)
        os << ", ";
      os << entry.inputs[i].name << ": ";
      printType(entry.inputs[i].type, os);
    }
    os << ")\n";
    EntryPrinter printer(program, entry, os);
    if (entry.result) {
      unsigned id = printer.print(entry.result);
      os << "    return %" << id << "\n";
    }
  }
  if (program.train)
    printTrainSpec(*program.train, os);
}
