%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% W2: a server that sums the integers cast to it; `total` returns the sum.
-module(bench_sum).
-behaviour(gen_server).
-export([start_link/0]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link() -> gen_server:start_link(?MODULE, [], []).

init([]) -> {ok, 0}.

handle_cast(N, Sum) -> {noreply, Sum + N}.

handle_call(total, _From, Sum) -> {reply, Sum, Sum}.
