%% A module with an on_load function (how NIF modules load their library),
%% which line snapshots must leave alone.
-module(otpscope_demo_onload).
-on_load(init/0).
-export([hello/0]).

init() ->
    ok.

hello() ->
    world.
