// The Stack server that GenServer tutorials start with: push is a cast, pop
// is a call whose reply is the popped element. Run it: ./stack
#include <otpp/otpp.hpp>

#include <fmt/ranges.h>

#include <optional>
#include <string>
#include <vector>

struct stack : otpp::gen_server<stack> {
  struct push {  // a cast: no reply
    std::string element;
  };
  struct pop {  // a call: it names its reply type
    using reply_type = std::optional<std::string>;
  };
  struct size {
    using reply_type = std::size_t;
  };

  explicit stack(std::vector<std::string> initial) : elements(std::move(initial)) {}

  void handle_cast(push p) { elements.push_back(std::move(p.element)); }

  std::optional<std::string> handle_call(pop) {
    if (elements.empty()) return std::nullopt;
    std::string top = std::move(elements.back());
    elements.pop_back();
    return top;
  }

  std::size_t handle_call(size) { return elements.size(); }

  std::vector<std::string> elements;
};

int main() {
  otpp::runtime rt;
  auto s = otpp::start<stack>(rt, otpp::name{"stack"}, std::vector<std::string>{"hello"});

  otpp::cast(s, stack::push{"world"});
  fmt::print("pop -> {}\n", otpp::call(s, stack::pop{}).value_or("(empty)"));  // world
  fmt::print("pop -> {}\n", otpp::call(s, stack::pop{}).value_or("(empty)"));  // hello
  fmt::print("pop -> {}\n", otpp::call(s, stack::pop{}).value_or("(empty)"));  // (empty)

  // The name reaches the same server, as GenServer.call(:stack, ...) does.
  otpp::server_ref<stack> by_name(rt, otpp::name{"stack"});
  otpp::cast(by_name, stack::push{"again"});
  fmt::print("size -> {}\n", otpp::call(by_name, stack::size{}));  // 1
  fmt::print("stack is {}\n", otpp::whereis(rt, "stack"));

  otpp::stop(s);
  try {
    otpp::call(s, stack::size{});
  } catch (const otpp::call_error& e) {
    fmt::print("after stop: {}\n", e.what());  // no such process
  }
}
