//===- ASTPrinter.cpp - --emit=ast ----------------------------------------===//
//
// Prints the syntax tree of the main file, one definition per line and
// members indented below it. Binary expressions are fully parenthesized so
// that the dump shows how precedence was resolved.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/Frontend.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace seqc;
using namespace seqc::ast;

llvm::StringRef ast::spell(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::MatMul:
    return "@";
  }
  return "?";
}

namespace {

class ASTPrinter {
public:
  explicit ASTPrinter(llvm::raw_ostream &os) : os(os) {}

  void print(const Decl &decl, unsigned indent);
  void print(const Expr &expr);
  void print(const TypeExpr &type);

private:
  void printStmt(const Stmt &stmt, unsigned indent);
  void printString(llvm::StringRef text);

  llvm::raw_ostream &os;
};

} // namespace

void ASTPrinter::printString(llvm::StringRef text) {
  os << '"';
  for (char c : text) {
    if (c == '"' || c == '\\')
      os << '\\' << c;
    else if (c == '\n')
      os << "\\n";
    else if (c == '\t')
      os << "\\t";
    else
      os << c;
  }
  os << '"';
}

void ASTPrinter::print(const Expr &expr) {
  switch (expr.kind) {
  case Expr::Kind::Number:
    os << expr.text; // as written: 2e-3 stays 2e-3
    return;
  case Expr::Kind::String:
    printString(expr.text);
    return;
  case Expr::Kind::Ident:
    os << expr.text;
    return;
  case Expr::Kind::Neg:
    os << "(-";
    print(*expr.lhs);
    os << ")";
    return;
  case Expr::Kind::Binary:
    os << "(";
    print(*expr.lhs);
    os << " " << spell(expr.op) << " ";
    print(*expr.rhs);
    os << ")";
    return;
  case Expr::Kind::Call: {
    print(*expr.lhs);
    os << "(";
    bool first = true;
    for (const Arg &arg : expr.args) {
      if (!first)
        os << ", ";
      first = false;
      if (!arg.keyword.empty())
        os << arg.keyword << " = ";
      print(*arg.value);
    }
    os << ")";
    return;
  }
  case Expr::Kind::Index: {
    print(*expr.lhs);
    os << "[";
    bool first = true;
    for (const IndexItem &item : expr.indices) {
      if (!first)
        os << ", ";
      first = false;
      if (item.start)
        print(*item.start);
      if (item.isSlice) {
        os << ":";
        if (item.stop)
          print(*item.stop);
      }
    }
    os << "]";
    return;
  }
  case Expr::Kind::List: {
    os << "[";
    bool first = true;
    for (const auto &element : expr.elements) {
      if (!first)
        os << ", ";
      first = false;
      print(*element);
    }
    os << "]";
    return;
  }
  }
}

void ASTPrinter::print(const TypeExpr &type) {
  switch (type.kind) {
  case TypeExpr::Kind::Shape: {
    os << "[";
    bool first = true;
    for (const auto &dim : type.dims) {
      if (!first)
        os << ", ";
      first = false;
      print(*dim);
    }
    os << "]";
    return;
  }
  case TypeExpr::Kind::Token:
    os << "token";
    return;
  case TypeExpr::Kind::Seq:
    os << "seq<";
    if (type.element)
      print(*type.element);
    os << ">";
    return;
  }
}

void ASTPrinter::printStmt(const Stmt &stmt, unsigned indent) {
  os.indent(indent);
  switch (stmt.kind) {
  case Stmt::Kind::Let:
    os << "let " << stmt.name << " = ";
    break;
  case Stmt::Kind::Assign:
    os << stmt.name << " = ";
    break;
  case Stmt::Kind::Return:
    os << "return ";
    break;
  }
  print(*stmt.value);
  os << "\n";
}

void ASTPrinter::print(const Decl &decl, unsigned indent) {
  os.indent(indent);
  if (const auto *use = llvm::dyn_cast<UseDecl>(&decl)) {
    os << "use ";
    if (use->isPath)
      printString(use->name);
    else
      os << use->name;
    os << "\n";
    return;
  }
  const auto *cell = llvm::dyn_cast<CellDecl>(&decl);
  if (const auto *block = cell ? cell : llvm::dyn_cast<BlockDecl>(&decl)) {
    os << (cell               ? "cell "
           : block->isModel() ? "model "
                              : "layer ")
       << block->name << "(";
    bool first = true;
    for (const DimDecl &dim : block->dims) {
      if (!first)
        os << ", ";
      first = false;
      os << dim.name;
      if (!dim.source.empty())
        os << ": " << dim.source;
      if (dim.defaultSize) {
        os << " = ";
        print(*dim.defaultSize);
      }
    }
    os << ")\n";
    for (const auto &member : block->members)
      print(*member, indent + 2);
    if (cell) {
      for (const StateSpec &state : cell->states) {
        os.indent(indent + 2) << "state " << state.name << ": ";
        print(state.type);
        if (state.init) {
          os << " = ";
          print(*state.init);
        }
        os << "\n";
      }
      for (const Stmt &stmt : cell->body)
        printStmt(stmt, indent + 2);
      if (cell->out) {
        os.indent(indent + 2) << "out ";
        print(*cell->out);
        os << "\n";
      }
    }
    return;
  }
  if (const auto *param = llvm::dyn_cast<ParamDecl>(&decl)) {
    os << "param " << param->name << ": ";
    print(param->type);
    if (param->init) {
      os << " = ";
      print(*param->init);
    }
    os << "\n";
    return;
  }
  if (const auto *inst = llvm::dyn_cast<InstanceDecl>(&decl)) {
    os << "instance " << inst->name << " = ";
    print(*inst->call);
    os << "\n";
    return;
  }
  if (const auto *func = llvm::dyn_cast<FuncDecl>(&decl)) {
    os << (func->isEntry ? "entry " : "fn ") << func->name << "(";
    bool first = true;
    for (const ParamSpec &param : func->params) {
      if (!first)
        os << ", ";
      first = false;
      os << param.name;
      if (param.type) {
        os << ": ";
        print(*param.type);
      }
    }
    os << ")";
    if (func->resultType) {
      os << " -> ";
      print(*func->resultType);
    }
    os << "\n";
    for (const Stmt &stmt : func->body)
      printStmt(stmt, indent + 2);
    return;
  }
  if (const auto *train = llvm::dyn_cast<TrainDecl>(&decl)) {
    os << "train " << train->name << "\n";
    for (const TrainSetting &setting : train->settings) {
      os.indent(indent + 2) << setting.key << " = ";
      print(*setting.value);
      os << "\n";
    }
    return;
  }
}

void seqc::printAST(const ast::Module &module, llvm::raw_ostream &os) {
  if (module.files.empty())
    return;
  ASTPrinter printer(os);
  for (const auto &decl : module.mainFile().decls)
    printer.print(*decl, 0);
}
