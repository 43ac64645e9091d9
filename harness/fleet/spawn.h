// Starting a coroutine so that its failure is never lost. asio::detached
// drops an exception that escapes the coroutine; Spawn hands it, with what the
// coroutine was for, to `on_failure`, which logs it and stops what cannot go
// on without the coroutine (a session's connection, or the whole server).
// Runs on the executor's thread, like the coroutine. co_spawn is Asio's,
// found by argument-dependent lookup in the executor's namespace: the caller
// has Asio, this header names none of it.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <utility>

namespace effbench::fleet {

// The message of an exception, for a log line.
inline std::string ExceptionMessage(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

template <typename Executor, typename Awaitable>
void Spawn(Executor&& executor, Awaitable task, std::string what,
           std::function<void(const std::string& failure)> on_failure) {
  co_spawn(std::forward<Executor>(executor), std::move(task),
           [what = std::move(what), on_failure = std::move(on_failure)](std::exception_ptr e) {
             if (e) on_failure(what + " failed: " + ExceptionMessage(e));
           });
}

}  // namespace effbench::fleet
