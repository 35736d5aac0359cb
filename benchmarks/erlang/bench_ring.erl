%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% W5: one server of a ring. {token, Hops} is cast on to the next server with
%% Hops - 1; the server that gets {token, 0} tells the owner its index.
-module(bench_ring).
-behaviour(gen_server).
-export([start_link/2]).
-export([init/1, handle_call/3, handle_cast/2]).

-record(state, {index, owner, next}).

start_link(Index, Owner) -> gen_server:start_link(?MODULE, {Index, Owner}, []).

init({Index, Owner}) -> {ok, #state{index = Index, owner = Owner}}.

handle_call({set_next, Next}, _From, State) -> {reply, ok, State#state{next = Next}}.

handle_cast({token, 0}, State = #state{index = Index, owner = Owner}) ->
    Owner ! {ring_done, Index},
    {noreply, State};
handle_cast({token, Hops}, State = #state{next = Next}) ->
    gen_server:cast(Next, {token, Hops - 1}),
    {noreply, State}.
