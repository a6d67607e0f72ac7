//===- Frontend.cpp - Loading and parsing source files --------------------===//
//
// Reads the main file and every file it `use`s (each once), checks that each
// is text, and parses it.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/Frontend.h"
#include "seqc/Frontend/Parser.h"
#include "seqc/Frontend/StdLib.h"
#include "seqc/Support/ReadFile.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace seqc;
using llvm::SMLoc;
using llvm::SourceMgr;
using llvm::StringRef;
using llvm::Twine;

/// An error about a whole file, without a position: "file: error: msg".
static void reportFileError(SourceMgr &srcMgr, StringRef file,
                            const Twine &message) {
  llvm::SMDiagnostic diag(file, SourceMgr::DK_Error, message.str());
  srcMgr.PrintMessage(llvm::errs(), diag);
}

/// Reports a byte that cannot be in a source file. The line is shown
/// sanitized (and cut around the byte) because a binary file's "line" may be
/// long and full of control characters.
static void reportBadByte(SourceMgr &srcMgr, unsigned bufferId, const char *bad,
                          const Twine &message) {
  const llvm::MemoryBuffer *buffer = srcMgr.getMemoryBuffer(bufferId);
  const char *begin = buffer->getBufferStart();
  const char *end = buffer->getBufferEnd();
  const char *lineStart = bad;
  while (lineStart != begin && lineStart[-1] != '\n')
    --lineStart;
  unsigned lineNo = 1 + std::count(begin, bad, '\n');
  unsigned column = bad - lineStart + 1;

  constexpr unsigned kContext = 60;
  std::string shown;
  const char *from = lineStart;
  if (bad - lineStart > kContext) {
    from = bad - kContext;
    shown = "...";
  }
  auto sanitize = [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u >= 0x7f ? '.' : c;
  };
  for (const char *p = from; p != bad; ++p)
    shown += sanitize(*p);
  unsigned caretColumn = shown.size();
  for (const char *p = bad; p != end && *p != '\n' && p - bad < kContext; ++p)
    shown += sanitize(*p);

  // The caret goes under the shown (maybe cut) line; the location printed
  // is the true one.
  llvm::SMDiagnostic diag(srcMgr, SMLoc::getFromPointer(bad),
                          buffer->getBufferIdentifier(), lineNo, caretColumn,
                          SourceMgr::DK_Error, message.str(), shown, {});
  // Printed here, not through a diagnostic handler: the caret's column in
  // the cut line is not the column of the location.
  llvm::errs() << buffer->getBufferIdentifier() << ":" << lineNo << ":"
               << column << ": ";
  diag.print(nullptr, llvm::errs(), /*ShowColors=*/true,
             /*ShowKindLabel=*/true, /*ShowLocation=*/false);
}

/// Source must be UTF-8 text without NUL bytes. Reports the first bad byte.
static bool checkText(SourceMgr &srcMgr, unsigned bufferId) {
  const llvm::MemoryBuffer *buffer = srcMgr.getMemoryBuffer(bufferId);
  StringRef text = buffer->getBuffer();
  size_t nul = text.find('\0');
  StringRef checked = nul == StringRef::npos ? text : text.take_front(nul);
  const auto *cursor = reinterpret_cast<const llvm::UTF8 *>(checked.begin());
  const auto *end = reinterpret_cast<const llvm::UTF8 *>(checked.end());
  if (!llvm::isLegalUTF8String(&cursor, end)) {
    const char *bad = reinterpret_cast<const char *>(cursor);
    std::string hex;
    llvm::raw_string_ostream(hex)
        << llvm::format_hex(static_cast<unsigned char>(*bad), 4);
    reportBadByte(srcMgr, bufferId, bad,
                  "invalid UTF-8 byte " + hex +
                      ": expected a text file (is this a binary file?)");
    return false;
  }
  if (nul != StringRef::npos) {
    reportBadByte(srcMgr, bufferId, text.data() + nul,
                  "unexpected NUL byte: expected a text file (is this a "
                  "binary file?)");
    return false;
  }
  return true;
}

namespace {

/// Loads files and library modules, each once, in the order they are first
/// used.
class Loader {
public:
  explicit Loader(SourceMgr &srcMgr) : srcMgr(srcMgr) {}

  /// Parses buffer `bufferId` and appends it to the module.
  bool addBuffer(unsigned bufferId, bool isLibrary) {
    if (!checkText(srcMgr, bufferId))
      return false;
    std::unique_ptr<ast::SourceFile> file = parseBuffer(srcMgr, bufferId);
    if (!file)
      return false;
    file->isLibrary = isLibrary;
    if (file->decls.empty()) {
      const llvm::MemoryBuffer *buffer = srcMgr.getMemoryBuffer(bufferId);
      srcMgr.PrintMessage(SMLoc::getFromPointer(buffer->getBufferStart()),
                          SourceMgr::DK_Error,
                          "file is empty: expected a 'model', 'layer', "
                          "'fn', 'train' or 'use' definition");
      return false;
    }
    module->files.push_back(std::move(file));
    return true;
  }

  /// Follows the `use`s of every file loaded so far, including the ones
  /// this loads.
  bool loadUses() {
    bool ok = true;
    for (size_t i = 0; i < module->files.size(); ++i) {
      // Collect first: loading appends to module->files.
      std::vector<const ast::UseDecl *> uses;
      for (const auto &decl : module->files[i]->decls)
        if (const auto *use = llvm::dyn_cast<ast::UseDecl>(decl.get()))
          uses.push_back(use);
      std::string including = module->files[i]->name;
      bool fromLibrary = module->files[i]->isLibrary;
      for (const ast::UseDecl *use : uses)
        ok &= loadUse(*use, including, fromLibrary);
    }
    return ok;
  }

  bool loadUse(const ast::UseDecl &use, StringRef including, bool fromLibrary) {
    if (!use.isPath) {
      if (!loaded.insert("module:" + use.name).second)
        return true;
      std::optional<StringRef> text = lookupStdLib(use.name);
      if (!text) {
        std::string known;
        for (StringRef name : stdLibModules())
          known += (known.empty() ? "" : ", ") + name.str();
        srcMgr.PrintMessage(use.loc, SourceMgr::DK_Error,
                            "unknown library module '" + use.name +
                                "': expected one of " + known,
                            use.range);
        return false;
      }
      std::string bufferName = use.name;
      std::replace(bufferName.begin(), bufferName.end(), '.', '/');
      bufferName += ".seq";
      unsigned id = srcMgr.AddNewSourceBuffer(
          llvm::MemoryBuffer::getMemBuffer(*text, bufferName), use.loc);
      return addBuffer(id, /*isLibrary=*/true);
    }

    if (fromLibrary) {
      srcMgr.PrintMessage(use.loc, SourceMgr::DK_Error,
                          "a library module can only use other library "
                          "modules",
                          use.range);
      return false;
    }
    llvm::SmallString<256> path;
    if (llvm::sys::path::is_absolute(use.name)) {
      path = use.name;
    } else {
      path = llvm::sys::path::parent_path(including);
      llvm::sys::path::append(path, use.name);
    }
    auto buffer = readRegularFile(path, kMaxSourceBytes, /*isText=*/false);
    if (!buffer) {
      std::string resolved = path.str() == use.name
                                 ? ""
                                 : " (looked for '" + path.str().str() + "')";
      srcMgr.PrintMessage(use.loc, SourceMgr::DK_Error,
                          "cannot open file '" + use.name + "'" + resolved +
                              ": " + llvm::toString(buffer.takeError()),
                          use.range);
      return false;
    }
    if (!loaded.insert(identity(path)).second)
      return true;
    unsigned id = srcMgr.AddNewSourceBuffer(std::move(*buffer), use.loc);
    return addBuffer(id, /*isLibrary=*/false);
  }

  /// A key that is the same for two spellings of one file.
  static std::string identity(StringRef path) {
    llvm::SmallString<256> real;
    if (!llvm::sys::fs::real_path(path, real))
      return "file:" + real.str().str();
    return "file:" + path.str();
  }

  SourceMgr &srcMgr;
  std::unique_ptr<ast::Module> module = std::make_unique<ast::Module>();
  llvm::StringSet<> loaded;
};

} // namespace

static std::unique_ptr<ast::Module>
parseMain(SourceMgr &srcMgr, std::unique_ptr<llvm::MemoryBuffer> buffer,
          StringRef path) {
  Loader loader(srcMgr);
  loader.loaded.insert(Loader::identity(path));
  unsigned id = srcMgr.AddNewSourceBuffer(std::move(buffer), SMLoc());
  if (!loader.addBuffer(id, /*isLibrary=*/false))
    return nullptr;
  if (!loader.loadUses())
    return nullptr;
  return std::move(loader.module);
}

std::unique_ptr<ast::Module> seqc::parseFile(SourceMgr &srcMgr,
                                             StringRef path) {
  auto buffer = readRegularFile(path, kMaxSourceBytes, /*isText=*/false);
  if (!buffer) {
    reportFileError(srcMgr, path,
                    "cannot open file: " + llvm::toString(buffer.takeError()));
    return nullptr;
  }
  return parseMain(srcMgr, std::move(*buffer), path);
}

std::unique_ptr<ast::Module>
seqc::parseSource(SourceMgr &srcMgr, StringRef source, StringRef name) {
  return parseMain(srcMgr, llvm::MemoryBuffer::getMemBufferCopy(source, name),
                   name);
}
