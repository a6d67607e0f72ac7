//===- Run.cpp - `seqc run`: one forward pass, printed --------------------===//
#include "seqc/Driver/Run.h"
#include "seqc/Runtime/Error.h"

#include "seqc/Runtime/Csv.h"
#include "seqc/Runtime/JitSession.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <cmath>

using namespace seqc::driver;
using namespace seqc::rt;

/// Values of one input per instance: the product of its non-batch sizes.
static llvm::Expected<int64_t> valuesPerRow(const EntryArgument &input) {
  llvm::ArrayRef<int64_t> shape = input.type.shape;
  if (shape.empty() || llvm::is_contained(shape.drop_front(), kDynamicSize))
    return makeError("input '{}' has type {}; `seqc run` feeds inputs with "
                     "one leading batch axis and static sizes otherwise",
                     input.name, input.type.str());
  return numElementsOf(shape.drop_front());
}

/// The shape of input `input` for `rows` instances.
static llvm::Expected<llvm::SmallVector<int64_t, 4>>
shapeForRows(const EntryArgument &input, int64_t rows) {
  llvm::SmallVector<int64_t, 4> shape(input.type.shape);
  if (shape[0] != kDynamicSize && shape[0] != rows)
    return makeError("input '{}' takes exactly {} rows, got {}", input.name,
                     shape[0], rows);
  shape[0] = rows;
  return shape;
}

static llvm::Expected<std::vector<Tensor>> readInputs(const EntryPoint &entry,
                                                      llvm::StringRef path) {
  int64_t columns = 0;
  std::vector<std::string> parts;
  bool sameDType = true;
  for (const EntryArgument &input : entry.inputs) {
    auto width = valuesPerRow(input);
    if (!width)
      return width.takeError();
    columns += *width;
    parts.push_back(fmt::format("'{}' has {}", input.name, *width));
    sameDType &= input.type.dtype == entry.inputs.front().type.dtype;
  }
  if (entry.inputs.empty())
    return makeError("@{} takes no inputs; drop --input", entry.name);

  CsvOptions options;
  // Parsing straight to the inputs' type rounds each decimal once.
  options.dtype = sameDType ? entry.inputs.front().type.dtype : DType::F64;
  options.expectedColumns = columns;
  options.expectedColumnsReason =
      entry.inputs.size() == 1
          ? fmt::format("the model's input {} values per instance",
                        parts.front())
          : fmt::format("the model's inputs, in order: {}",
                        llvm::join(parts, ", "));
  auto table = readCsv(path, options);
  if (!table)
    return table.takeError();
  const Tensor &values = table->values;
  int64_t rows = values.dim(0);

  std::vector<Tensor> inputs;
  int64_t firstColumn = 0;
  for (const EntryArgument &input : entry.inputs) {
    auto shape = shapeForRows(input, rows);
    if (!shape)
      return shape.takeError();
    Tensor tensor(input.type.dtype, *shape);
    int64_t width = numElementsOf(llvm::ArrayRef(*shape).drop_front());
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t column = 0; column < width; ++column) {
        double value = values.getDouble(row * columns + firstColumn + column);
        if (!isFloat(input.type.dtype) && value != std::trunc(value))
          return makeError("{}: row {}, column {}: input '{}' takes integers, "
                           "got {}",
                           path.str(), row + 1, firstColumn + column + 1,
                           input.name, value);
        tensor.setDouble(row * width + column, value);
      }
    inputs.push_back(std::move(tensor));
    firstColumn += width;
  }
  return inputs;
}

static llvm::Expected<std::vector<Tensor>>
randomInputs(const EntryPoint &entry, int64_t rows, uint64_t seed) {
  std::vector<Tensor> inputs;
  for (const EntryArgument &input : entry.inputs) {
    if (!isFloat(input.type.dtype))
      return makeError("cannot draw random values for integer input '{}'; "
                       "pass them with --input",
                       input.name);
    if (auto width = valuesPerRow(input); !width)
      return width.takeError();
    auto shape = shapeForRows(input, rows);
    if (!shape)
      return shape.takeError();
    Tensor tensor(input.type.dtype, *shape);
    Rng rng = Rng::forStream(seed, "input:" + input.name);
    for (int64_t index = 0; index < tensor.numElements(); ++index)
      tensor.setDouble(index, rng.uniform(-1.0, 1.0));
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

/// One printed number: fixed point, and never "-0.00".
static std::string formatValue(double value, DType dtype, int precision) {
  if (!isFloat(dtype))
    return fmt::format("{}", static_cast<int64_t>(value));
  std::string text = fmt::format("{:.{}f}", value, precision);
  if (text.front() == '-' && text.find_first_not_of("-0.") == std::string::npos)
    text.erase(0, 1);
  return text;
}

/// Column names of a per-instance output: "out" for one value per instance,
/// else "out[j]" (or "out[j,k]" for several axes) in row-major order.
static std::vector<std::string> columnNames(llvm::StringRef name,
                                            llvm::ArrayRef<int64_t> rowShape) {
  int64_t count = numElementsOf(rowShape);
  if (rowShape.empty())
    return {name.str()};
  std::vector<std::string> names;
  llvm::SmallVector<int64_t, 4> index(rowShape.size(), 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    std::vector<std::string> parts;
    for (int64_t position : index)
      parts.push_back(std::to_string(position));
    names.push_back(fmt::format("{}[{}]", name.str(), llvm::join(parts, ",")));
    for (int64_t axis = static_cast<int64_t>(index.size()) - 1; axis >= 0;
         --axis) {
      if (++index[axis] < rowShape[axis])
        break;
      index[axis] = 0;
    }
  }
  return names;
}

static void printOutputs(const EntryPoint &entry,
                         llvm::ArrayRef<Tensor> outputs, int64_t rows,
                         const RunOptions &options, llvm::raw_ostream &out) {
  bool table = options.format == "table";
  // Per-instance outputs side by side, one line per instance.
  std::vector<std::string> header;
  if (table)
    header.push_back("row");
  std::vector<std::vector<std::string>> lines(rows);
  if (table)
    for (int64_t row = 0; row < rows; ++row)
      lines[row].push_back(std::to_string(row));
  std::vector<size_t> whole; // outputs without a batch axis
  for (auto [index, output] : llvm::enumerate(outputs)) {
    const TensorType &type = entry.results[index];
    if (type.shape.empty() || type.shape[0] != kDynamicSize ||
        output.dim(0) != rows) {
      whole.push_back(index);
      continue;
    }
    for (std::string &name :
         columnNames(entry.resultNames[index], output.shape().drop_front()))
      header.push_back(std::move(name));
    int64_t width = numElementsOf(output.shape().drop_front());
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t column = 0; column < width; ++column)
        lines[row].push_back(formatValue(output.getDouble(row * width + column),
                                         output.dtype(), options.precision));
  }

  if (header.size() > (table ? 1u : 0u)) {
    if (table) {
      std::vector<size_t> widths;
      for (const std::string &name : header)
        widths.push_back(name.size());
      for (const auto &line : lines)
        for (auto [column, cell] : llvm::enumerate(line))
          widths[column] = std::max(widths[column], cell.size());
      auto printLine = [&](llvm::ArrayRef<std::string> cells) {
        for (auto [column, cell] : llvm::enumerate(cells)) {
          if (column)
            out << "  ";
          out.indent(widths[column] - cell.size()) << cell;
        }
        out << "\n";
      };
      printLine(header);
      for (const auto &line : lines)
        printLine(line);
    } else {
      out << llvm::join(header, ",") << "\n";
      for (const auto &line : lines)
        out << llvm::join(line, ",") << "\n";
    }
  }

  for (size_t index : whole) {
    const Tensor &output = outputs[index];
    std::vector<std::string> values;
    for (int64_t flat = 0; flat < output.numElements(); ++flat)
      values.push_back(formatValue(output.getDouble(flat), output.dtype(),
                                   options.precision));
    out << entry.resultNames[index] << " " << shapeToString(output.shape())
        << " = " << llvm::join(values, table ? " " : ",") << "\n";
  }
}

llvm::Error seqc::driver::runForward(JitSession &session,
                                     const RunOptions &options,
                                     llvm::raw_ostream &out) {
  if (options.format != "table" && options.format != "csv")
    return makeError("unknown output format '{}' (expected table or csv)",
                     options.format);
  if (options.precision < 0 || options.precision > 17)
    return makeError("the precision must be between 0 and 17 digits, got {}",
                     options.precision);
  if (!options.inputCsv.empty() && options.randomRows != 0)
    return makeError("--input and --random exclude each other");
  if (options.randomRows < 0)
    return makeError("--random needs a positive row count, got {}",
                     options.randomRows);
  const EntryPoint *entry = session.entryPoint(options.entry);
  if (!entry)
    return makeError("model '{}' has no entry point '{}'",
                     session.modelName().str(), options.entry);

  if (!options.paramsPath.empty()) {
    if (llvm::Error error = session.loadParams(options.paramsPath))
      return error;
  } else {
    session.initParams(options.seed);
  }

  int64_t rows = options.randomRows ? options.randomRows : kDefaultRandomRows;
  auto inputs = options.inputCsv.empty()
                    ? randomInputs(*entry, rows, options.seed)
                    : readInputs(*entry, options.inputCsv);
  if (!inputs)
    return inputs.takeError();
  if (!inputs->empty())
    rows = inputs->front().dim(0);

  auto outputs = session.run(entry->name, *inputs);
  if (!outputs)
    return outputs.takeError();
  printOutputs(*entry, *outputs, rows, options, out);
  return llvm::Error::success();
}

llvm::Error seqc::driver::runForward(mlir::ModuleOp seqModule,
                                     const RunOptions &options,
                                     llvm::raw_ostream &out) {
  auto session = JitSession::create(seqModule, options.jit);
  if (!session)
    return session.takeError();
  return runForward(**session, options, out);
}
