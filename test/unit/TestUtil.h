//===- TestUtil.h - Helpers shared by the runtime's unit tests --*- C++ -*-===//
#ifndef SEQC_TEST_UNIT_TESTUTIL_H
#define SEQC_TEST_UNIT_TESTUTIL_H

#include "llvm/Support/Error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace seqc::test {

/// An llvm::Error with `message`, for the helpers that return one.
inline llvm::Error makeError(const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The message of a failed Expected; fails the test if it succeeded.
template <typename T> std::string errorOf(llvm::Expected<T> expected) {
  if (expected) {
    ADD_FAILURE() << "expected an error, got success";
    return "";
  }
  return llvm::toString(expected.takeError());
}

inline std::string errorOf(llvm::Error error) {
  if (!error) {
    ADD_FAILURE() << "expected an error, got success";
    return "";
  }
  return llvm::toString(std::move(error));
}

/// Unwraps an Expected, failing the test with the error's message.
#define SEQC_ASSERT_OK_AND_ASSIGN(lhs, expr)                                   \
  auto lhs##OrError = (expr);                                                  \
  ASSERT_TRUE(static_cast<bool>(lhs##OrError))                                 \
      << llvm::toString(lhs##OrError.takeError());                             \
  auto lhs = std::move(*lhs##OrError)

#define SEQC_ASSERT_OK(expr)                                                   \
  do {                                                                         \
    llvm::Error seqcError = (expr);                                            \
    ASSERT_FALSE(static_cast<bool>(seqcError))                                 \
        << llvm::toString(std::move(seqcError));                               \
  } while (false)

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_TESTUTIL_H
