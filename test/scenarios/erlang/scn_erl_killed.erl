%% Callers killed by exit(Pid, kill) while they wait in gen_server:call, the server answering after they are gone:
%%   1. a caller whose only message is the call: it never received anything, so nothing in the trace shows that
%%      its receives are traced (until it was killed, it only sent);
%%   2. a caller that received a message before its call.
%% Neither gave up: both were killed; the replies come after their exits.
%% Then a trap_exit chain: a process trapping exits links a worker that takes `hello`, waits in `receive ... after`
%% and exits with a custom reason once it times out; the first exits with {wrapped, Reason} on the worker's 'EXIT'.
%% Recorded with processes: new.
%% The server's module is loaded before the recording (code:ensure_loaded/1): a gen_server module first loaded while
%% recorded has its callbacks traced only from when the recorder saw it (README "Recording").
%% Run by erlang.sh (erlc, then erl as an Erlang user would).
-module(scn_erl_killed).
-export([main/1]).
main([Out]) ->
    {ok, _} = application:ensure_all_started(elixir),
    ok = logger:set_primary_config(level, none),
    {module, _} = code:ensure_loaded(scn_erl_srv),
    {ok, Path} = 'Elixir.Otpscope':record([{file, list_to_binary(Out)}, {processes, new}], fun run/0),
    io:format("~s~n", [Path]).
run() ->
    {ok, Srv} = gen_server:start(scn_erl_srv, erl_srv, []),
    ok = gen_server:call(Srv, quick),
    Silent = spawn(fun() -> gen_server:call(Srv, {slow, 80}) end),
    timer:sleep(20),
    exit(Silent, kill),
    timer:sleep(100),
    Talker = spawn(fun() -> receive go -> gen_server:call(Srv, {slow, 80}) end end),
    Talker ! go,
    timer:sleep(20),
    exit(Talker, kill),
    timer:sleep(100),
    {Top, Ref} = spawn_monitor(fun chain_top/0),
    receive {'DOWN', Ref, process, Top, _} -> ok end,
    ok.

chain_top() ->
    process_flag(trap_exit, true),
    W = spawn_link(fun() -> receive hello -> ok end, receive never -> ok after 10 -> exit({custom, boom}) end end),
    W ! hello,
    receive {'EXIT', W, R} -> exit({wrapped, R}) end.
