%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% W7: a registered child that answers `get` with 7 and crashes on the cast
%% `crash`. Its init tells the owner that a new incarnation runs.
-module(bench_crashy).
-behaviour(gen_server).
-export([start_link/1]).
-export([init/1, handle_call/3, handle_cast/2]).

start_link(Owner) -> gen_server:start_link({local, ?MODULE}, ?MODULE, Owner, []).

init(Owner) ->
    Owner ! {incarnation, self()},
    {ok, Owner}.

handle_call(get, _From, Owner) -> {reply, 7, Owner}.

handle_cast(crash, _Owner) -> erlang:error(crash_on_purpose).
