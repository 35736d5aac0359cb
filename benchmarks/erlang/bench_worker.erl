%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% W9: a server whose every `job` cast runs Rounds rounds of a 32-bit xorshift
%% (Marsaglia's 13/17/5) on its own state; `confirm` returns {Jobs, State}.
%% 32 bits, because a 64-bit xorshift leaves Erlang's small integers (60 bits)
%% and would measure bignum arithmetic instead.
-module(bench_worker).
-behaviour(gen_server).
-export([start_link/2, xorshift32/2]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link(Seed, Rounds) -> gen_server:start_link(?MODULE, {Seed, Rounds}, []).

init({Seed, Rounds}) -> {ok, {0, Seed, Rounds}}.

handle_cast(job, {Jobs, X, Rounds}) -> {noreply, {Jobs + 1, xorshift32(X, Rounds), Rounds}}.

handle_call(confirm, _From, State = {Jobs, X, _}) -> {reply, {Jobs, X}, State}.

xorshift32(X, 0) -> X;
xorshift32(X0, N) ->
    X1 = X0 bxor ((X0 bsl 13) band 16#FFFFFFFF),
    X2 = X1 bxor (X1 bsr 17),
    X3 = X2 bxor ((X2 bsl 5) band 16#FFFFFFFF),
    xorshift32(X3, N - 1).
