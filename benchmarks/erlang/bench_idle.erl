%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% W4: a server that does nothing until asked; `get` returns its state (0).
-module(bench_idle).
-behaviour(gen_server).
-export([start/0]).
-export([init/1, handle_call/3, handle_cast/2]).

start() -> gen_server:start(?MODULE, [], []).

init([]) -> {ok, 0}.

handle_call(get, _From, Value) -> {reply, Value, Value}.

handle_cast(_Msg, Value) -> {noreply, Value}.
