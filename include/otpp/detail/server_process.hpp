// Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
#ifndef OTPP_DETAIL_SERVER_PROCESS_HPP
#define OTPP_DETAIL_SERVER_PROCESS_HPP

// The process behind a gen_server<Impl>: message nodes, dispatch to the
// callbacks, coroutine handlers, idle timeout, terminate. Included by
// gen_server.hpp after the public types it uses.

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include <new>
#include <optional>

OTPP_BEGIN_NAMESPACE
namespace detail {

// ---- what Impl provides ----

template <class Impl, class M>
concept has_handle_call_plain = requires(Impl& i, M&& m) { i.handle_call(std::move(m)); };
template <class Impl, class M>
concept has_handle_call_from = requires(Impl& i, M&& m, from<typename M::reply_type> f) {
  i.handle_call(std::move(m), f);
};
template <class Impl, class M>
concept has_handle_call = has_handle_call_plain<Impl, M> || has_handle_call_from<Impl, M>;
template <class Impl, class M>
concept has_handle_cast = requires(Impl& i, M&& m) { i.handle_cast(std::move(m)); };
template <class Impl, class M>
concept has_handle_info = requires(Impl& i, M&& m) { i.handle_info(std::move(m)); };
template <class Impl, class C>
concept has_handle_continue = requires(Impl& i, C&& c) { i.handle_continue(std::move(c)); };
template <class Impl>
concept has_init = requires(Impl& i) { i.init(); };
template <class Impl>
concept has_terminate = requires(Impl& i, const exit_reason& r) { i.terminate(r); };
template <class R>
using non_void_t = std::conditional_t<std::is_void_v<R>, int, R>;
template <class Impl, class R>
concept has_handle_task_end =
    (std::is_void_v<R> && requires(Impl& i, const pid& t, const exit_reason& s) { i.handle_task_end(t, s); }) ||
    (!std::is_void_v<R> && requires(Impl& i, const pid& t, const exit_reason& s, std::optional<non_void_t<R>>&& r) {
      i.handle_task_end(t, s, std::move(r));
    });

template <class T>
struct awaitable_traits : std::false_type {};
template <class T, class Ex>
struct awaitable_traits<asio::awaitable<T, Ex>> : std::true_type {
  using value_type = T;
};

// ---- nodes ----

template <class Impl, class M>
struct call_node final : inbox_node {
  using R = typename M::reply_type;
  M msg;
  boost::intrusive_ptr<call_state<R>> state;
  call_node(M m, boost::intrusive_ptr<call_state<R>> s)
      : inbox_node(false), msg(std::move(m)), state(std::move(s)) {}
  void deliver(process_base& p) override {
    static_cast<server_process<Impl>&>(p).on_call(std::move(msg), std::move(state));
  }
  void discard(process_base&, const exit_reason& why) noexcept override {
    state->fail(make_error_code(errc::exited), why);
  }
};

// An asynchronous call with its request inside: the request travels to the
// server as a member node, so a call allocates one object in all.
template <class Impl, class M, class Handler>
class async_request final : public async_call_op<typename M::reply_type, Handler> {
  using R = typename M::reply_type;

 public:
  async_request(Handler&& h, const basic_executor& fallback, M m)
      : async_call_op<R, Handler>(std::move(h), fallback), request(this, std::move(m)) {}

  struct request_node final : inbox_node {
    async_request* owner;
    M msg;
    request_node(async_request* o, M m) : inbox_node(false), owner(o), msg(std::move(m)) {}
    void deliver(process_base& p) override {
      static_cast<server_process<Impl>&>(p).on_call(std::move(msg),
                                                   boost::intrusive_ptr<call_state<R>>(owner));
    }
    void discard(process_base&, const exit_reason& why) noexcept override {
      owner->fail(make_error_code(errc::exited), why);
    }
    void dispose() noexcept override { intrusive_ptr_release(static_cast<reply_slot*>(owner)); }
  } request;

  // Sends the request (holding a reference while it is queued); false if the
  // server is gone.
  bool send(process_base& server) {
    intrusive_ptr_add_ref(static_cast<reply_slot*>(this));
    return server.post_message(&request);
  }
};

template <class Impl, class M>
struct cast_node final : inbox_node {
  M msg;
  explicit cast_node(M m) : inbox_node(false), msg(std::move(m)) {}
  void deliver(process_base& p) override {
    static_cast<server_process<Impl>&>(p).on_cast(std::move(msg));
  }
};

template <class Impl, class M>
struct info_node final : inbox_node {
  M msg;
  explicit info_node(M m) : inbox_node(false), msg(std::move(m)) {}
  void deliver(process_base& p) override {
    static_cast<server_process<Impl>&>(p).on_info(std::move(msg));
  }
};

template <class Impl, class C>
struct continue_node final : inbox_node {
  C arg;
  explicit continue_node(C c) : inbox_node(false), arg(std::move(c)) {}
  void deliver(process_base& p) override {
    static_cast<server_process<Impl>&>(p).on_continue(std::move(arg));
  }
};

template <class Impl>
struct stop_node final : inbox_node {
  exit_reason reason;
  boost::intrusive_ptr<call_state<void>> state;
  stop_node(exit_reason r, boost::intrusive_ptr<call_state<void>> s)
      : inbox_node(false), reason(std::move(r)), state(std::move(s)) {}
  void deliver(process_base& p) override {
    static_cast<server_process<Impl>&>(p).stop_server(reason, std::move(state));
  }
  void discard(process_base&, const exit_reason& why) noexcept override {
    state->fail(make_error_code(errc::exited), why);
  }
};

// ---- the process ----

template <class Impl>
class server_process final : public process_base, public pooled {
 public:
  explicit server_process(runtime_core& rt) : process_base(rt) {}
  ~server_process() override { destroy_state(); }

  Impl& impl() noexcept { return *std::launder(reinterpret_cast<Impl*>(storage_)); }

  template <class... Args>
  void construct(Args&&... args) {
    ::new (static_cast<void*>(storage_)) Impl(std::forward<Args>(args)...);
    constructed_ = true;
  }

  // Runs init; returns the continuation to run first, if any. False: init
  // declined (ignore) or stopped; `failure` says why.
  enum class init_outcome { ok, ignored, stopped };
  init_outcome run_init(exit_reason& failure) {
    if constexpr (has_init<Impl>) {
      using result_t = decltype(impl().init());
      if constexpr (std::is_void_v<result_t>) {
        impl().init();
      } else {
        init_result r = impl().init();
        auto& v = r.get();
        if (auto* s = std::get_if<stop_result>(&v)) {
          failure = s->reason;
          return init_outcome::stopped;
        }
        if (std::holds_alternative<ignore_result>(v)) return init_outcome::ignored;
        auto& o = std::get<ok_result>(v);
        if (o.idle != infinity) set_idle_timeout(o.idle);
        if (o.next) push_pending(o.next.release().release());
      }
    }
    return init_outcome::ok;
  }

  // ---- message handlers ----

  template <class M>
  void on_call(M&& m, boost::intrusive_ptr<call_state<typename M::reply_type>> st) {
    using R = typename M::reply_type;
    if (!st) return;  // never; tells GCC 12 so (-Wstringop-overflow false positive)
    touch();
    // While the handler runs, a crash or stop fails this call with `exited`.
    current_call_ = st.get();
    try {
      auto invoke = [&]() -> decltype(auto) {
        if constexpr (has_handle_call_from<Impl, M>)
          return impl().handle_call(std::move(m), from<R>(st));
        else
          return impl().handle_call(std::move(m));
      };
      using result_t = decltype(invoke());
      if constexpr (awaitable_traits<result_t>::value) {
        defer(st);
        current_call_ = nullptr;
        using value_t = typename awaitable_traits<result_t>::value_type;
        start_coroutine<value_t>(invoke(), [this, st](auto&&... v) {
          this->apply_call(st, std::forward<decltype(v)>(v)...);
        });
      } else if constexpr (std::is_void_v<result_t>) {
        static_assert(std::is_void_v<R>, "handle_call returns nothing but the reply type is not void");
        invoke();
        st->try_reply({});
      } else {
        apply_call(st, invoke());
      }
    } catch (...) {
      crash(std::current_exception());
    }
    current_call_ = nullptr;
  }

  template <class M>
  void on_cast(M&& m) {
    touch();
    run_handler([&]() -> decltype(auto) { return impl().handle_cast(std::move(m)); });
  }

  template <class M>
  void on_info(M&& m) {
    if constexpr (std::is_same_v<std::decay_t<M>, idle_timeout>) {
      // A message handled after the timer fired started the wait over.
      if (!idle_ || !idle_->fired) return;
    } else {
      touch();
    }
    if constexpr (has_handle_info<Impl, M>) {
      run_handler([&]() -> decltype(auto) { return impl().handle_info(std::move(m)); });
    } else if constexpr (has_handle_info<Impl, message>) {
      run_handler([&]() -> decltype(auto) { return impl().handle_info(message(std::move(m))); });
    } else {
      unhandled(typeid(M).name());
    }
  }

  template <class C>
  void on_continue(C&& c) {
    run_handler([&]() -> decltype(auto) { return impl().handle_continue(std::move(c)); });
  }

  // gen_server:stop/3 and {stop, ...} results: terminate, then exit.
  // `stopper` is gen_server:stop's caller, answered once the server is dead.
  void stop_server(exit_reason reason, boost::intrusive_ptr<call_state<void>> stopper = {}) {
    if (exited || stopping_) {
      if (stopper) stopper->fail(make_error_code(errc::exited), this->reason);
      return;
    }
    if (current_call_) defer(current_call_);
    if constexpr (has_terminate<Impl>) {
      if constexpr (awaitable_traits<decltype(impl().terminate(reason))>::value) {
        // A coroutine terminate: no message is taken until it is done; a
        // `kill` meanwhile fails the stopper with `killed`.
        stopping_ = true;
        if (stopper) defer(stopper);
        start_coroutine<exit_reason>(run_terminate(std::move(reason)),
                                     [this, stopper](exit_reason r) { finish_stop(std::move(r), stopper); });
        return;
      } else {
        try {
          impl().terminate(reason);
        } catch (...) {
          reason = exit_reason::from_exception(std::current_exception());
        }
      }
    }
    finish_stop(std::move(reason), std::move(stopper));
  }

  // ---- process_base hooks ----

  const void* type_tag() const noexcept override { return &impl_tag<Impl>; }
  void destroy_state() noexcept override {
    idle_.reset();
    if (constructed_) {
      constructed_ = false;
      impl().~Impl();
    }
  }

  void on_exit_info(const pid& from_pid, const exit_reason& r, bool from_runtime) override {
    // The parent's (or the runtime's) exit signal stops a trapping server,
    // with terminate, as gen_server does for its parent's 'EXIT'.
    if (from_runtime || (from_pid && from_pid == parent)) {
      stop_server(r);
      return;
    }
    on_info(exit_signal{from_pid, r});
  }
  void on_down(down d) override { on_info(std::move(d)); }

  // A task from spawn_task ended: `result` is set when `status` is normal.
  template <class R>
  void on_task_end(const pid& task, const exit_reason& status, std::optional<R>&& result) {
    touch();
    run_handler([&]() -> decltype(auto) { return impl().handle_task_end(task, status, std::move(result)); });
  }
  void on_task_end(const pid& task, const exit_reason& status) {
    touch();
    run_handler([&]() -> decltype(auto) { return impl().handle_task_end(task, status); });
  }
  void on_message(message&& m) override {
    touch();
    if constexpr (has_handle_info<Impl, message>)
      run_handler([&]() -> decltype(auto) { return impl().handle_info(std::move(m)); });
    else
      unhandled(m.type().name());
  }

  void set_idle_timeout(timeout_type after) {
    if (!idle_) idle_ = std::make_unique<idle_state>(rt.sched.io_executor(io_home));
    idle_->after = after;
    idle_->last = std::chrono::steady_clock::now();
    idle_->fired = false;
    arm_idle(idle_->last + after);
  }

 private:
  template <class R, class... V>
  static call_result<R> reply_or_value(V&&... v) {
    if constexpr (std::is_void_v<R>) return noreply_result{};
    else return reply_result<R>{R(std::forward<V>(v)...)};
  }

  // A coroutine handle_call returning awaitable<void> completed: reply ok.
  template <class R>
  void apply_call(const boost::intrusive_ptr<call_state<R>>& st) {
    st->try_reply({});
  }

  // Applies what handle_call returned: a reply value or a call_result.
  template <class R, class X>
  void apply_call(const boost::intrusive_ptr<call_state<R>>& st, X&& x) {
    if (!st) return;  // never; tells GCC 12 so (-Wstringop-overflow false positive)
    if constexpr (!std::is_same_v<std::decay_t<X>, call_result<R>>) {
      if constexpr (!std::is_void_v<R> && std::is_convertible_v<X, R>)
        st->try_reply(R(std::forward<X>(x)));
      else
        apply_call(st, call_result<R>(std::forward<X>(x)));
    } else {
      auto& v = x.get();
      if constexpr (!std::is_void_v<R>) {
        if (auto* r = std::get_if<reply_result<R>>(&v)) {
          st->try_reply(std::move(r->value));
          return;
        }
        if (auto* s = std::get_if<stop_reply_result<R>>(&v)) {
          st->try_reply(std::move(s->value));
          stop_server(std::move(s->reason));
          return;
        }
      }
      if (auto* n = std::get_if<noreply_result>(&v)) {
        if (!st->done()) defer(st);
        run_continuation(std::move(n->next));
        return;
      }
      if (auto* s = std::get_if<stop_result>(&v)) {
        defer(st);
        stop_server(std::move(s->reason));
      }
    }
  }

  // Runs a cast/info/continue handler and applies its result.
  template <class F>
  void run_handler(F&& f) {
    try {
      using result_t = decltype(f());
      if constexpr (awaitable_traits<result_t>::value) {
        using value_t = typename awaitable_traits<result_t>::value_type;
        start_coroutine<value_t>(f(), [this](auto&&... v) {
          if constexpr (sizeof...(v) != 0) apply_cast(cast_result(std::forward<decltype(v)>(v)...));
        });
      } else if constexpr (std::is_void_v<result_t>) {
        f();
      } else {
        apply_cast(cast_result(f()));
      }
    } catch (...) {
      crash(std::current_exception());
    }
  }

  void apply_cast(cast_result r) {
    auto& v = r.get();
    if (auto* s = std::get_if<stop_result>(&v)) {
      stop_server(std::move(s->reason));
      return;
    }
    run_continuation(std::move(std::get<noreply_result>(v).next));
  }

  // handle_continue runs at once, before any other message.
  void run_continuation(continuation c) {
    if (c && !exited) c.release()->deliver(*this);
  }

  // Runs a coroutine handler; the server takes no message until it is done.
  template <class T, class Done>
  void start_coroutine(asio::awaitable<T> aw, Done done) {
    suspended = true;
    auto& sig = extras().coroutine_cancel;
    auto complete = [this, keep = pid(this), done = std::move(done)](std::exception_ptr e,
                                                                   auto&&... v) mutable {
      suspended = false;
      touch();  // the idle wait starts when the handler is done, as in OTP
      if (zombie) {  // killed while suspended: the frame has unwound
        zombie = false;
        destroy_state();
        return;
      }
      if (exited) return;
      if (e) {
        crash(e);
        return;
      }
      try {
        done(std::forward<decltype(v)>(v)...);
      } catch (...) {
        crash(std::current_exception());
      }
    };
    asio::co_spawn(basic_executor(&rt, this), std::move(aw),
                   asio::bind_cancellation_slot(sig.slot(), std::move(complete)));
  }

  awaitable<exit_reason> run_terminate(exit_reason reason) {
    try {
      co_await impl().terminate(reason);
    } catch (...) {
      co_return exit_reason::from_exception(std::current_exception());
    }
    co_return reason;
  }

  void finish_stop(exit_reason reason, boost::intrusive_ptr<call_state<void>> stopper) {
    if (reason.is_abnormal()) report(reason);
    if (stopper) owed.remove(stopper.get());
    exit(std::move(reason));
    if (stopper) stopper->try_reply({});
  }

  void defer(reply_slot* s) { owed.push(s); }
  template <class R>
  void defer(const boost::intrusive_ptr<call_state<R>>& s) {
    defer(static_cast<reply_slot*>(s.get()));
  }

  void crash(std::exception_ptr e) { stop_server(exit_reason::from_exception(e)); }

  void report(const exit_reason& reason) {
    if (!rt.logging()) return;
    if constexpr (requires { typename Impl::task_function; }) {
      // A task names the function it runs, as Elixir's Task reports do.
      rt.log(log_level::error, fmt::format("task {} running {} terminating, reason: {}", pid_text(self()),
                                           demangle(typeid(typename Impl::task_function).name()),
                                           reason_text(reason)));
    } else {
      rt.log(log_level::error, fmt::format("gen_server {} ({}) terminating, reason: {}", pid_text(self()),
                                           demangle(typeid(Impl).name()), reason_text(reason)));
    }
  }

  void unhandled(const char* type_name) {
    if (!rt.logging()) return;
    rt.log(log_level::warning, fmt::format("gen_server {} ({}) received an unhandled info message of type {}",
                                           pid_text(self()), demangle(typeid(Impl).name()), demangle(type_name)));
  }

  // ---- idle timeout ----

  struct idle_state {
    explicit idle_state(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    timeout_type after{};
    std::chrono::steady_clock::time_point last;
    bool armed = false;
    bool fired = false;
  };

  // A message arrived: the idle wait starts over. The timer is not moved on
  // every message; when it fires early it re-arms for the remaining time.
  void touch() {
    if (!idle_) return;
    idle_->last = std::chrono::steady_clock::now();
    idle_->fired = false;
    if (!idle_->armed) arm_idle(idle_->last + idle_->after);
  }

  void arm_idle(std::chrono::steady_clock::time_point at) {
    idle_->armed = true;
    idle_->timer.expires_at(at);
    idle_->timer.async_wait(asio::bind_executor(basic_executor(&rt, this), [this](const error_code& ec) {
      if (!idle_) return;
      idle_->armed = false;
      if (ec || exited || idle_->fired) return;
      const auto due = idle_->last + idle_->after;
      if (std::chrono::steady_clock::now() < due) {
        arm_idle(due);
        return;
      }
      idle_->fired = true;
      push_pending(new info_node<Impl, idle_timeout>(idle_timeout{}));
    }));
  }

  alignas(Impl) unsigned char storage_[sizeof(Impl)];
  bool constructed_ = false;
  bool stopping_ = false;  // a coroutine terminate is running
  reply_slot* current_call_ = nullptr;
  std::unique_ptr<idle_state> idle_;
};

// Creates the process, registers its name, runs Impl's constructor and init
// on the calling thread with the new process as `self()`, then lets it run.
template <class Impl, class... Args>
server_ref<Impl> start_server(runtime_core& rt, std::string reg_name, bool link_parent, Args&&... args) {
  static_assert(std::is_base_of_v<gen_server<Impl>, Impl>,
                "start<Impl>: Impl must derive from otpp::gen_server<Impl>");
  auto* p = new server_process<Impl>(rt);
  pid me(p, false);
  if (!reg_name.empty()) {
    pid holder;
    if (!rt.register_name(reg_name, *p, holder)) {
      p->exited = true;
      p->alive.store(false);
      throw start_error(make_error_code(errc::already_started), normal, holder);
    }
    p->extras().name = std::move(reg_name);
  }
  process_base* const parent = current_process;
  if (link_parent && parent) {  // as gen_server:start, an unlinked server is its own parent
    p->parent = parent->self();
    p->root = false;
    p->links.insert(parent->self());
    parent->links.insert(me);
  }
  rt.add(*p);  // after `root` is set: the runtime's shutdown reads it from the table
  using outcome = typename server_process<Impl>::init_outcome;
  outcome result = outcome::ok;
  exit_reason failure;
  current_process = p;
  try {
    p->construct(std::forward<Args>(args)...);
    result = p->run_init(failure);
  } catch (...) {
    failure = exit_reason::from_exception(std::current_exception());
    result = outcome::stopped;
  }
  if (result != outcome::ok) {
    p->exit(result == outcome::ignored ? normal : failure);
    p->finalize();
  }
  current_process = parent;
  if (result == outcome::stopped)
    throw start_error(make_error_code(errc::init_failed), failure);
  if (result == outcome::ignored) return {};
  p->release_after_init();
  return server_ref<Impl>(std::move(me));
}

// A blocking request to the server behind `ref` (call, stop): posts the node
// `make_node(state)` builds and waits for its reply until `timeout`.
template <class R, class Impl, class MakeNode>
R sync_request(const server_ref<Impl>& ref, timeout_type timeout, MakeNode make_node) {
  pid keep;
  error_code ec;
  process_base* p = ref.resolve(keep, ec);
  if (!p) throw call_error(ec);
  if (p == current_process) throw call_error(make_error_code(errc::calling_self));
  // Adopts the initial reference.
  boost::intrusive_ptr<sync_call_state<R>> st(new sync_call_state<R>(p->rt.sched), false);
  const auto deadline = deadline_after(timeout);
  if (!p->post_message(make_node(boost::intrusive_ptr<call_state<R>>(st))))
    throw call_error(make_error_code(errc::noproc));
  st->wait(deadline);
  if (st->error) std::rethrow_exception(st->error);
  if constexpr (!std::is_void_v<R>) return std::move(*st->value);
}

}  // namespace detail
OTPP_END_NAMESPACE

#endif  // OTPP_DETAIL_SERVER_PROCESS_HPP
