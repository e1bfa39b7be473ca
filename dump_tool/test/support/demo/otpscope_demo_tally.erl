%% An Erlang module for the line snapshot tests: plain variables, a case,
%% a receive, and a tail-recursive loop.
-module(otpscope_demo_tally).
-export([sum/1, classify/1, wait/1, start_loop/0]).

sum(List) ->
    sum(List, 0).

sum([], Acc) ->
    Acc;
sum([H | T], Acc) ->
    Next = Acc + H,
    sum(T, Next).

classify(N) ->
    Kind = case N rem 2 of
        0 ->
            Half = N div 2,
            {even, Half};
        _ ->
            odd
    end,
    {N, Kind}.

wait(Timeout) ->
    receive
        {tally, X} ->
            Got = X * 10,
            Got
    after Timeout ->
        none
    end.

%% A process looping inside this module (its own receive loop).
start_loop() ->
    spawn(fun() -> loop(0) end).

loop(N) ->
    receive
        {add, X} -> loop(N + X);
        {get, From} -> From ! {n, N}, loop(N)
    end.
