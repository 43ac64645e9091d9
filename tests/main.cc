#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "tests/test_database.h"

// The databases a test made where it never named them go as it ends.
struct DropTestDatabasesAtEnd : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats&) override {
    effbench::testing::DropTestDatabases();
  }
};
CATCH_REGISTER_LISTENER(DropTestDatabasesAtEnd)
