%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% W7: a one_for_one supervisor of one bench_crashy child, allowed MaxRestarts
%% restarts an hour.
-module(bench_sup).
-behaviour(supervisor).
-export([start_link/2]).
-export([init/1]).

start_link(Owner, MaxRestarts) -> supervisor:start_link(?MODULE, {Owner, MaxRestarts}).

init({Owner, MaxRestarts}) ->
    Flags = #{strategy => one_for_one, intensity => MaxRestarts, period => 3600},
    Child = #{id => crashy,
              start => {bench_crashy, start_link, [Owner]},
              restart => permanent,
              shutdown => 5000,
              type => worker,
              modules => [bench_crashy]},
    {ok, {Flags, [Child]}}.
