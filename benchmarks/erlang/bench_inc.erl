%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% W1, W3: a server that answers {inc, N} with N + 1 and counts the calls.
-module(bench_inc).
-behaviour(gen_server).
-export([start_link/0]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link() -> gen_server:start_link(?MODULE, [], []).

init([]) -> {ok, 0}.

handle_call({inc, N}, _From, Count) -> {reply, N + 1, Count + 1};
handle_call(count, _From, Count) -> {reply, Count, Count}.

handle_cast(_Msg, Count) -> {noreply, Count}.
