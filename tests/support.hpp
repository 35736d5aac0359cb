// Helpers shared by several test files of the one test binary.
//
// Only what at least two test files use lives here; each file keeps its own
// specific helpers. Every function is `inline` (or a template) and every
// constant `inline constexpr`, since several translation units include this
// header: one definition for the whole binary, no ODR violation. The few
// function-local statics (keep_alive's list) are meant to be one per program.
//
// A test file brings these in with `using namespace otpp_test;` inside its
// own unnamed namespace, where its own helpers of the same name (gen_server's
// `start_failure`) take precedence; a file whose own helpers would clash at
// global scope (process.cpp's `gate` and `watcher`) takes what it needs with
// using-declarations instead.
//
// Asio's use_future is not included here: GCC 12's false
// -Wmaybe-uninitialized in it needs the pragma that the including files put
// before their Asio headers.

#ifndef OTPP_TESTS_SUPPORT_HPP
#define OTPP_TESTS_SUPPORT_HPP

#include <otpp/child_spec.hpp>
#include <otpp/error.hpp>
#include <otpp/exit_reason.hpp>
#include <otpp/gen_server.hpp>
#include <otpp/pid.hpp>
#include <otpp/process.hpp>
#include <otpp/runtime.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <future>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace otpp_test {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using strings = std::vector<std::string>;

// ---- threads ----

// A std::thread that joins when destroyed: std::jthread without the stop
// token, which libc++ 16 does not provide yet.
struct joining_thread : std::thread {
  using std::thread::thread;
  joining_thread(joining_thread&&) noexcept = default;
  joining_thread& operator=(joining_thread&&) = delete;
  ~joining_thread() {
    if (joinable()) join();
  }
};

// ---- waiting ----

// Bounds every wait so that a broken library fails a test instead of hanging
// it; never reached when the library works.
inline constexpr std::chrono::milliseconds safety = 10s;

// Two workers (unless told otherwise) and no log output: supervisors, failing
// tasks and crashing processes log crash reports a test does not want to see.
inline otpp::runtime_options quiet(unsigned workers = 2) {
  return {.workers = workers, .logger = [](otpp::log_level, std::string_view) {}};
}

// Whether `f` becomes ready within `safety`.
template <class T>
bool arrives(std::future<T>& f) {
  return f.wait_for(safety) == std::future_status::ready;
}

// Polls `done` until it holds; false if it did not within `limit`. The pause
// only paces the polling: the outcome never depends on its length.
template <class Pred>
bool eventually(Pred&& done, std::chrono::milliseconds limit = safety) {
  const auto deadline = clock_type::now() + limit;
  while (!done()) {
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(200us);
  }
  return true;
}

// A count that any thread bumps and the test thread waits on.
class event_counter {
 public:
  void bump() {
    {
      std::lock_guard lock(m_);
      ++n_;
    }
    cv_.notify_all();
  }
  bool wait_for_at_least(int n, std::chrono::milliseconds limit = safety) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, limit, [&] { return n_ >= n; });
  }
  int count() {
    std::lock_guard lock(m_);
    return n_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_ = 0;
};

// What a blocked function (a task's, an agent's) waits on until the test
// opens it. It opens itself when destroyed, so that nothing stays blocked
// behind a failed assertion. Declare it after the runtime, so that it is
// opened before the runtime is destroyed.
class gate {
 public:
  gate() : opened_(promise_.get_future().share()) {}
  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;
  ~gate() { open(); }
  void open() {
    std::call_once(once_, [this] { promise_.set_value(); });
  }
  // What a blocked function captures and passes to `pass`.
  std::shared_future<void> waiter() const { return opened_; }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_;
  std::once_flag once_;
};

// Blocks until the gate is opened (bounded by `limit`); true if it was.
inline bool pass(const std::shared_future<void>& g, std::chrono::milliseconds limit = safety) {
  return g.wait_for(limit) == std::future_status::ready;
}

// ---- text ----

// An exit reason as Erlang prints it ("normal", "killed", "{exception,...}"),
// so that a failed check shows it.
inline std::string str(const otpp::exit_reason& r) { return fmt::format("{}", r); }

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// What a runtime's logger was given.
class log_capture {
 public:
  otpp::logger_function logger() {
    return [this](otpp::log_level level, std::string_view text) {
      std::lock_guard lock(m_);
      lines_.emplace_back(level, std::string(text));
    };
  }
  // The first line of `level` containing every one of `parts`, or "".
  std::string find(otpp::log_level level, std::initializer_list<std::string_view> parts) {
    std::lock_guard lock(m_);
    for (auto& [l, text] : lines_) {
      if (l != level) continue;
      bool all = true;
      for (auto part : parts) all = all && text.find(part) != std::string::npos;
      if (all) return text;
    }
    return {};
  }

 private:
  std::mutex m_;
  std::vector<std::pair<otpp::log_level, std::string>> lines_;
};

// ---- failures ----

// Keeps exceptions that other threads also held alive for good, so that no
// other thread frees them. (libstdc++'s exception_ptr reference count lives
// in the uninstrumented libstdc++.so: when another thread drops the last
// reference after the test thread read the exception, ThreadSanitizer sees
// the free but not the synchronisation and reports a false data race.) One
// list for the whole program, never destroyed: destroyed at exit, it let an
// Asio thread still holding a use_future promise free the exception last.
inline void keep_alive(std::exception_ptr e) {
  static auto* m = new std::mutex;
  static auto* kept = new std::vector<std::exception_ptr>;
  std::lock_guard lock(*m);
  kept->push_back(std::move(e));
}

// What a failed call, await or start threw (thrown == false if nothing).
struct failure {
  bool thrown = false;
  otpp::error_code code;
  otpp::exit_reason reason;
  std::string what;
  otpp::pid holder;  // start_failure of an already_started name: who holds it
};

// The call_error `f` throws (a call, an await, an agent function).
template <class F>
failure failure_of(F&& f) {
  try {
    f();
  } catch (const otpp::call_error& e) {
    keep_alive(std::current_exception());
    return {true, e.code(), e.reason(), e.what(), {}};
  }
  return {};
}

// The start_error `f` throws (a start_child, a supervisor's start).
template <class F>
failure start_failure(F&& f) {
  try {
    f();
  } catch (const otpp::start_error& e) {
    keep_alive(std::current_exception());
    return {true, e.code(), e.reason(), e.what(), e.holder()};
  }
  return {};
}

// ---- watching a process ----

// Monitors one process and hands over its `down` message.
struct watcher : otpp::gen_server<watcher> {
  struct watch {
    using reply_type = void;
    otpp::pid target;
  };
  explicit watcher(std::shared_ptr<std::promise<otpp::down>> p) : done(std::move(p)) {}
  void handle_call(watch w) { otpp::monitor(w.target); }
  void handle_info(otpp::down d) { done->set_value(std::move(d)); }
  std::shared_ptr<std::promise<otpp::down>> done;
};

// A future that becomes ready with `target`'s `down` message: observes a
// death without polling, at the cost of one more live process (the watcher).
// (A process's exit signals to its links are sent before its `down`
// messages, so once this is ready a linked supervisor has the exit signal in
// its mailbox, ahead of any later call.)
inline std::future<otpp::down> watch(otpp::runtime& rt, const otpp::pid& target) {
  auto p = std::make_shared<std::promise<otpp::down>>();
  auto f = p->get_future();
  auto w = otpp::start<watcher>(rt, p);
  otpp::call(w, watcher::watch{target});
  return f;
}

// ---- supervised children (supervisor.cpp, dynamic_supervisor.cpp) ----

// What children did, in the order they did it: "start a", "stop a shutdown".
class trace {
 public:
  void add(std::string event) {
    std::lock_guard lock(m_);
    events_.push_back(std::move(event));
  }
  // The events so far, which are then forgotten.
  strings take() {
    std::lock_guard lock(m_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex m_;
  strings events_;
};

// A worker. It answers its value, dies on request, and, given a trace, traps
// exits and records its init and terminate under its id.
struct worker : otpp::gen_server<worker> {
  struct get {
    using reply_type = int;
  };
  // Replies, then exits with `reason` (terminate runs).
  struct die {
    using reply_type = int;
    otpp::exit_reason reason;
  };
  // Throws: the server crashes and the caller fails with `exited`.
  struct crash {
    using reply_type = int;
  };
  struct add {
    int by;
  };

  worker(std::string id, int value, std::shared_ptr<trace> log)
      : id(std::move(id)), value(value), log(std::move(log)) {}

  otpp::init_result init() {
    if (log) {
      trap_exit();
      log->add("start " + id);
    }
    return otpp::ok();
  }
  int handle_call(get) { return value; }
  otpp::call_result<int> handle_call(die d) { return otpp::stop(d.reason, value); }
  int handle_call(crash) { throw std::runtime_error("crash on request"); }
  void handle_cast(add a) { value += a.by; }
  void terminate(const otpp::exit_reason& r) {
    if (log) log->add(fmt::format("stop {} {}", id, r));
  }

  std::string id;
  int value;
  std::shared_ptr<trace> log;
};

// A trapping worker whose terminate takes `delay` (a coroutine on a timer).
struct slow_stopper : otpp::gen_server<slow_stopper> {
  slow_stopper(std::shared_ptr<trace> log, std::chrono::milliseconds delay)
      : log(std::move(log)), delay(delay) {}
  otpp::init_result init() {
    trap_exit();
    return otpp::ok();
  }
  otpp::awaitable<void> terminate(const otpp::exit_reason&) {
    log->add("terminate begun");
    boost::asio::steady_timer t(get_executor(), delay);
    co_await t.async_wait(boost::asio::use_awaitable);
    log->add("terminate finished");
  }
  std::shared_ptr<trace> log;
  std::chrono::milliseconds delay;
};

// init returns ignore.
struct ignorer : otpp::gen_server<ignorer> {
  otpp::init_result init() { return otpp::ignore(); }
};

// init stops with reason "nope".
struct refuser : otpp::gen_server<refuser> {
  otpp::init_result init() { return otpp::stop(otpp::exit_reason::error("nope")); }
};

// Ways for a supervised child to exit, and how each shows in a test's name.
enum class exit_kind { normal, shutdown, shutdown_with_detail, error, exception, killed };

inline const char* name_of(exit_kind k) {
  switch (k) {
    case exit_kind::normal:
      return "normal";
    case exit_kind::shutdown:
      return "shutdown";
    case exit_kind::shutdown_with_detail:
      return "{shutdown,x}";
    case exit_kind::error:
      return "error boom";
    case exit_kind::exception:
      return "exception";
    case exit_kind::killed:
      return "killed";
  }
  return "?";
}

// Checks every field of a count_children result, each reported on its own.
inline bool counts_are(const otpp::child_counts& c, std::size_t specs, std::size_t active,
                       std::size_t supervisors, std::size_t workers) {
  INFO("specs " << c.specs << ", active " << c.active << ", supervisors " << c.supervisors
                << ", workers " << c.workers);
  CHECK(c.specs == specs);
  CHECK(c.active == active);
  CHECK(c.supervisors == supervisors);
  CHECK(c.workers == workers);
  return c.specs == specs && c.active == active && c.supervisors == supervisors &&
         c.workers == workers;
}

}  // namespace otpp_test

#endif  // OTPP_TESTS_SUPPORT_HPP
