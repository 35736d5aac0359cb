%% Copyright (c) 2026 The otpp authors. Distributed under the Boost Software License, Version 1.0.
%%
%% otpp_bench: the Erlang/OTP side of the workloads in ../WORKLOADS.md,
%% written with gen_server and supervisor as an Erlang programmer would.
%% Every measurement is one line on standard output:
%%
%%   RESULT <workload> erlang <schedulers online> <value> <unit>
%%
%% Everything else goes to standard error. A wrong result halts with 1.
%%
%%   otpp_bench:main(Args)   Args: strings, in any order
%%     full | quick | smoke  sizes (also --quick, --smoke); full by default
%%     reps=N                runs per measurement, the median is reported
%%                           (default 3, 1 with smoke)
%%     W1 ... W7, W9, all    workloads to run; by default W1..W7. W9 is run
%%                           on its own by run.sh, once with +S 1 and once
%%                           with +S 2, since a VM's schedulers are fixed.
%%                           W4 (or W4s, W4x, W4m) runs all three W4 cells.
%%
%% Run it with `erl +P 2097152`: W6 spawns 1,111,111 processes, many alive at once.
-module(otpp_bench).
-export([main/0, main/1]).

-define(SYSTEM, "erlang").
-define(WAIT_MS, 600000).  % a lost message fails the run instead of hanging it
-define(W7_ROUND, 10).     % W7 restarts per supervisor: see w7/1

%% ---- entry point -------------------------------------------------------------

main() -> main([]).

main(Args) ->
    {Size, Reps, Workloads} = parse(Args, full, undefined, []),
    Sizes = sizes(Size),
    Opts = Sizes#{reps => case Reps of undefined -> maps:get(reps, Sizes); _ -> Reps end},
    %% The workloads run in a process of their own, so that a crash anywhere
    %% (a linked server, a failed match) ends up here as a non-zero exit.
    {Pid, Ref} = spawn_monitor(fun() -> run(Workloads, Opts) end),
    receive
        {'DOWN', Ref, process, Pid, normal} ->
            ok;
        {'DOWN', Ref, process, Pid, Reason} ->
            io:format(standard_error, "otpp_bench: failed: ~p~n", [Reason]),
            erlang:halt(1)
    end.

parse([], Size, Reps, []) -> {Size, Reps, default_workloads()};
parse([], Size, Reps, Ws) -> {Size, Reps, lists:reverse(Ws)};
parse([Arg | Rest], Size, Reps, Ws) ->
    case string:trim(Arg, leading, "-") of
        "full" -> parse(Rest, full, Reps, Ws);
        "quick" -> parse(Rest, quick, Reps, Ws);
        "smoke" -> parse(Rest, smoke, Reps, Ws);
        "all" -> parse(Rest, Size, Reps, lists:reverse(default_workloads() ++ ["W9"]) ++ Ws);
        "reps=" ++ N ->
            case string:to_integer(N) of
                {Reps1, ""} when Reps1 > 0 -> parse(Rest, Size, Reps1, Ws);
                _ -> usage("reps wants a positive number, not " ++ N)
            end;
        W = [$W | _] ->
            Canonical = case lists:member(W, ["W4s", "W4x", "W4m"]) of true -> "W4"; false -> W end,
            case lists:member(Canonical, default_workloads() ++ ["W8", "W9"]) of
                true -> parse(Rest, Size, Reps, [Canonical | Ws]);
                false -> usage("unknown workload " ++ W)
            end;
        _ -> usage("unknown argument " ++ Arg)
    end.

default_workloads() -> ["W1", "W2", "W3", "W4", "W5", "W6", "W7"].

usage(Why) ->
    io:format(standard_error,
              "otpp_bench: ~s~nusage: otpp_bench:main([full|quick|smoke, reps=N, W1..W9 | all])~n",
              [Why]),
    erlang:halt(2).

sizes(full) ->
    #{w1_calls => 1000000, w2_casts => 10000000, w3_clients => 1000, w3_calls => 1000,
      w4_servers => 100000, w5_servers => 1000, w5_hops => 1000000, w6_leaves => 1000000,
      w7_restarts => 10000, w9_servers => 1000, w9_casts => 100, w9_rounds => 20000, reps => 3};
sizes(quick) ->
    #{w1_calls => 100000, w2_casts => 1000000, w3_clients => 1000, w3_calls => 100,
      w4_servers => 10000, w5_servers => 1000, w5_hops => 100000, w6_leaves => 100000,
      w7_restarts => 1000, w9_servers => 1000, w9_casts => 10, w9_rounds => 20000, reps => 3};
sizes(smoke) ->
    #{w1_calls => 1000, w2_casts => 10000, w3_clients => 10, w3_calls => 100,
      w4_servers => 1000, w5_servers => 10, w5_hops => 1000, w6_leaves => 1000,
      w7_restarts => 100, w9_servers => 10, w9_casts => 10, w9_rounds => 20000, reps => 1}.

run(Workloads, Opts) ->
    info("otpp_bench: ~s, ~B scheduler(s) online, ~B run(s) per measurement",
         [erlang:system_info(system_version) -- "\n", threads(), maps:get(reps, Opts)]),
    lists:foreach(fun(W) -> workload(W, Opts) end, Workloads).

workload("W1", O) ->
    N = maps:get(w1_calls, O),
    info("W1 call round trip, client process (~B calls)", [N]),
    result("W1", median(O, fun() -> w1(N) end), "ops/s");
workload("W2", O) ->
    N = maps:get(w2_casts, O),
    info("W2 cast from one process (~B casts)", [N]),
    result("W2", median(O, fun() -> w2(N) end), "ops/s");
workload("W3", O) ->
    #{w3_clients := C, w3_calls := N} = O,
    info("W3 fan-in (~B clients x ~B calls)", [C, N]),
    result("W3", median(O, fun() -> w3(C, N) end), "ops/s");
workload("W4", O) ->
    N = maps:get(w4_servers, O),
    info("W4 spawn, stop and memory (~B idle servers)", [N]),
    Runs = [w4(N) || _ <- lists:seq(1, maps:get(reps, O))],
    result("W4s", middle([S || {S, _, _} <- Runs]), "ops/s"),
    result("W4x", middle([X || {_, X, _} <- Runs]), "ops/s"),
    result("W4m", middle([M || {_, _, M} <- Runs]), "B");
workload("W5", O) ->
    #{w5_servers := S, w5_hops := H} = O,
    info("W5 ring (~B servers, ~B hops)", [S, H]),
    result("W5", median(O, fun() -> w5(S, H) end), "ops/s");
workload("W6", O) ->
    L = maps:get(w6_leaves, O),
    info("W6 skynet (~B leaves)", [L]),
    result("W6", median(O, fun() -> w6(L) end), "ops/s");
workload("W7", O) ->
    N = maps:get(w7_restarts, O),
    info("W7 restart latency (~B restarts, in rounds of ~B under a new supervisor)", [N, ?W7_ROUND]),
    %% As bench_supervision: the run whose median is the median of the runs.
    Runs = lists:sort([w7(N) || _ <- lists:seq(1, maps:get(reps, O))]),
    {Median, P99} = lists:nth(length(Runs) div 2 + 1, Runs),
    result("W7", Median, "us"),
    result("W7p99", P99, "us"),
    {Single, SingleP99} = w7_single(N),
    info("W7 for people: ~B restarts under one supervisor allowed ~B: median ~.2f us, p99 ~.2f us",
         [N, N, Single, SingleP99]);
workload("W8", _) ->
    info("W8 blocking bridge: Erlang has no plain threads, not reported", []);
workload("W9", O) ->
    #{w9_servers := S, w9_casts := C, w9_rounds := R} = O,
    info("W9 parallelism (~B servers x ~B casts x ~B xorshift rounds)", [S, C, R]),
    result("W9", median(O, fun() -> w9(S, C, R) end), "ops/s").

%% ---- W1: call round trip, client in a process ----------------------------------

w1(Calls) ->
    {ok, Server} = bench_inc:start_link(),
    Self = self(),
    spawn_link(fun() ->
        Start = now_ns(),
        ok = w1_loop(Server, 0, Calls),
        Self ! {w1_done, now_ns() - Start}
    end),
    Elapsed = await(w1_done),
    check(gen_server:call(Server, count) =:= Calls, "W1 count of calls"),
    ok = gen_server:stop(Server),
    Calls / seconds(Elapsed).

w1_loop(_Server, N, N) -> ok;
w1_loop(Server, I, N) ->
    Reply = gen_server:call(Server, {inc, I}),
    check(Reply =:= I + 1, "W1 reply"),
    w1_loop(Server, I + 1, N).

%% ---- W2: cast throughput from one process ------------------------------------------

w2(Casts) ->
    {ok, Server} = bench_sum:start_link(),
    Self = self(),
    spawn_link(fun() ->
        Start = now_ns(),
        ok = w2_loop(Server, 0, Casts),
        %% Messages between two processes keep their order: this call comes
        %% after every cast.
        Sum = gen_server:call(Server, total, infinity),
        Self ! {w2_done, {now_ns() - Start, Sum}}
    end),
    {Elapsed, Sum} = await(w2_done),
    check(Sum =:= Casts * (Casts - 1) div 2, "W2 sum"),
    ok = gen_server:stop(Server),
    Casts / seconds(Elapsed).

w2_loop(_Server, N, N) -> ok;
w2_loop(Server, I, N) ->
    gen_server:cast(Server, I),
    w2_loop(Server, I + 1, N).

%% ---- W3: fan-in ---------------------------------------------------------------------

w3(Clients, Calls) ->
    {ok, Server} = bench_inc:start_link(),
    Self = self(),
    Start = now_ns(),
    [spawn_link(fun() -> ok = w1_loop(Server, 0, Calls), Self ! w3_done end)
     || _ <- lists:seq(1, Clients)],
    [await(w3_done) || _ <- lists:seq(1, Clients)],
    Elapsed = now_ns() - Start,
    check(gen_server:call(Server, count) =:= Clients * Calls, "W3 count of calls"),
    ok = gen_server:stop(Server),
    Clients * Calls / seconds(Elapsed).

%% ---- W4: spawn, stop, memory of idle servers -------------------------------------------

%% The servers are started one after another (gen_server:start returns once
%% init has run) and stopped as a supervisor stops its children: a monitor
%% and exit(Pid, shutdown) each, then every 'DOWN'. The pid list is the
%% handles; it is counted in the memory.
w4(N) ->
    garbage_collect(),
    Processes = erlang:system_info(process_count),
    MemoryBefore = erlang:memory(total),
    Start = now_ns(),
    Pids = w4_start(N, []),
    Started = now_ns(),
    garbage_collect(),
    MemoryAfter = erlang:memory(total),
    check(length(Pids) =:= N, "W4 all servers started"),
    check(erlang:system_info(process_count) =:= Processes + N, "W4 all servers alive"),
    check(gen_server:call(hd(Pids), get) =:= 0, "W4 a server answers"),
    StopStart = now_ns(),
    lists:foreach(fun(Pid) ->
                          erlang:monitor(process, Pid),
                          exit(Pid, shutdown)
                  end, Pids),
    w4_await_down(N),
    Stopped = now_ns(),
    check(wait_process_count(Processes, 1000), "W4 all servers gone"),
    {N / seconds(Started - Start), N / seconds(Stopped - StopStart),
     (MemoryAfter - MemoryBefore) / N}.

w4_start(0, Pids) -> Pids;
w4_start(N, Pids) ->
    {ok, Pid} = bench_idle:start(),
    w4_start(N - 1, [Pid | Pids]).

w4_await_down(0) -> ok;
w4_await_down(N) ->
    receive
        {'DOWN', _, process, _, shutdown} -> w4_await_down(N - 1)
    after ?WAIT_MS -> fail("W4x: servers did not stop")
    end.

%% A process's 'DOWN' can come a moment before it leaves the process table.
wait_process_count(_Count, 0) -> false;
wait_process_count(Count, Tries) ->
    case erlang:system_info(process_count) of
        Count -> true;
        _ -> timer:sleep(1), wait_process_count(Count, Tries - 1)
    end.

%% ---- W5: ring -------------------------------------------------------------------------------

w5(Servers, Hops) ->
    Ring = [begin {ok, P} = bench_ring:start_link(I, self()), P end
            || I <- lists:seq(0, Servers - 1)],
    [First | _] = Ring,
    lists:foreach(fun({P, Next}) -> ok = gen_server:call(P, {set_next, Next}) end,
                  lists:zip(Ring, tl(Ring) ++ [First])),
    Start = now_ns(),
    gen_server:cast(First, {token, Hops}),
    Last = await(ring_done),
    Elapsed = now_ns() - Start,
    check(Last =:= Hops rem Servers, "W5 the token ends where it should"),
    lists:foreach(fun(P) -> ok = gen_server:stop(P) end, Ring),
    Hops / seconds(Elapsed).

%% ---- W6: skynet ------------------------------------------------------------------------------

w6(Leaves) ->
    check(is_power_of_ten(Leaves), "W6 leaves must be a power of 10"),
    Needed = erlang:system_info(process_count) + Leaves * 10 div 9 + 1000,
    check(erlang:system_info(process_limit) >= Needed,
          "W6 needs a larger process limit: run erl with +P 2097152"),
    Self = self(),
    Start = now_ns(),
    spawn(fun() -> skynet(Self, 0, Leaves) end),
    Sum = await(skynet),
    Elapsed = now_ns() - Start,
    check(Sum =:= Leaves * (Leaves - 1) div 2, "W6 sum"),
    Leaves / seconds(Elapsed).

skynet(Parent, Num, 1) ->
    Parent ! {skynet, Num};
skynet(Parent, Num, Size) ->
    Self = self(),
    Child = Size div 10,
    [spawn(fun() -> skynet(Self, Num + I * Child, Child) end) || I <- lists:seq(0, 9)],
    Parent ! {skynet, skynet_collect(10, 0)}.

skynet_collect(0, Sum) -> Sum;
skynet_collect(N, Sum) ->
    receive {skynet, V} -> skynet_collect(N - 1, Sum + V) end.

is_power_of_ten(1) -> true;
is_power_of_ten(N) when N > 1, N rem 10 =:= 0 -> is_power_of_ten(N div 10);
is_power_of_ten(_) -> false.

%% ---- W7: restart latency ------------------------------------------------------------------------

%% The child's init sends {incarnation, Pid}: the client waits for it (as the
%% otpp client sleeps until the new child's init has run), then calls the
%% child by its registered name. Crash reports are turned off meanwhile, as
%% otpp runs this with no logger: one report per restart would dominate.
%%
%% OTP's supervisor keeps the times of the restarts within its period in a
%% list and walks it on every restart, so a supervisor allowed 10,001
%% restarts an hour (otpp's bench config) gets slower with every restart:
%% about 15 us at first, over 200 us by the 10,000th. So the restarts run in
%% rounds of ?W7_ROUND, each under a new supervisor allowed ?W7_ROUND
%% restarts, as a supervisor with a usual intensity would see them; starting
%% and stopping the supervisors is not timed. w7_single/1 is the one-
%% supervisor figure, printed for people.
w7(Restarts) ->
    Samples = quiet(fun() -> w7_rounds(Restarts, []) end),
    percentiles(Samples).

w7_single(Restarts) ->
    percentiles(quiet(fun() -> w7_round(Restarts) end)).

w7_rounds(0, Samples) -> Samples;
w7_rounds(Left, Samples) ->
    N = min(Left, ?W7_ROUND),
    w7_rounds(Left - N, w7_round(N) ++ Samples).

%% N restarts under a new supervisor allowed N restarts an hour.
w7_round(N) ->
    {ok, Sup} = bench_sup:start_link(self(), N),
    First = await(incarnation),
    {_, Samples} = lists:foldl(fun(_, {Old, Acc}) ->
                                       {New, Us} = w7_restart(Old),
                                       {New, [Us | Acc]}
                               end, {First, []}, lists:seq(1, N)),
    Counts = supervisor:count_children(Sup),
    check(proplists:get_value(active, Counts) =:= 1, "W7 one child"),
    unlink(Sup),
    ok = gen_server:stop(Sup),
    Samples.

w7_restart(Old) ->
    Start = now_ns(),
    gen_server:cast(bench_crashy, crash),
    New = await(incarnation),
    check(gen_server:call(bench_crashy, get) =:= 7, "W7 the restarted child answers"),
    Us = (now_ns() - Start) / 1000,
    check(New =/= Old, "W7 a new incarnation"),
    {New, Us}.

%% {median, p99}, picked as bench_supervision picks them.
percentiles(Samples) ->
    Sorted = lists:sort(Samples),
    N = length(Sorted),
    {lists:nth(N div 2 + 1, Sorted), lists:nth(N * 99 div 100 + 1, Sorted)}.

%% Runs Fun with the logger's primary level at none.
quiet(Fun) ->
    #{level := Level} = logger:get_primary_config(),
    ok = logger:set_primary_config(level, none),
    try Fun()
    after logger:set_primary_config(level, Level)
    end.

%% ---- W9: parallelism --------------------------------------------------------------------------------

w9(Servers, Casts, Rounds) ->
    Seed = 2463534242,
    Expected = bench_worker:xorshift32(Seed, Casts * Rounds),
    Workers = [begin {ok, P} = bench_worker:start_link(Seed, Rounds), P end
               || _ <- lists:seq(1, Servers)],
    Start = now_ns(),
    [gen_server:cast(P, job) || _ <- lists:seq(1, Casts), P <- Workers],
    Confirmations = [gen_server:call(P, confirm, infinity) || P <- Workers],
    Elapsed = now_ns() - Start,
    check(lists:all(fun(C) -> C =:= {Casts, Expected} end, Confirmations),
          "W9 every server ran every job"),
    lists:foreach(fun(P) -> ok = gen_server:stop(P) end, Workers),
    Servers * Casts / seconds(Elapsed).

%% ---- helpers ------------------------------------------------------------------------------------------

threads() -> erlang:system_info(schedulers_online).

now_ns() -> erlang:monotonic_time(nanosecond).

seconds(Ns) -> Ns / 1.0e9.

await(Tag) ->
    receive {Tag, Value} -> Value;
            Tag -> ok
    after ?WAIT_MS -> fail(atom_to_list(Tag) ++ " never came")
    end.

median(Opts, Run) -> middle([Run() || _ <- lists:seq(1, maps:get(reps, Opts))]).

middle(Values) -> lists:nth(length(Values) div 2 + 1, lists:sort(Values)).

check(true, _What) -> ok;
check(false, What) -> fail(What).

fail(What) ->
    io:format(standard_error, "benchmark check failed: ~s~n", [What]),
    erlang:halt(1).

info(Format, Args) -> io:format(standard_error, Format ++ "~n", Args).

result(Workload, Value, Unit) ->
    Text = case Unit of
               "us" -> io_lib:format("~.2f", [float(Value)]);
               "B" -> io_lib:format("~.1f", [float(Value)]);
               _ -> integer_to_list(round(Value))
           end,
    io:format("RESULT ~s ~s ~B ~s ~s~n", [Workload, ?SYSTEM, threads(), Text, Unit]).
