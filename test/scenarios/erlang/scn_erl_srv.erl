%% A gen_server written in Erlang, its state a record (the analyzer shows it as the tuple it is).
-module(scn_erl_srv).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).
-record(st, {served = 0, last}).
init(Name) -> {ok, #st{last = Name}}.
handle_call(quick, _From, S) -> {reply, ok, S#st{served = S#st.served + 1}};
handle_call({slow, Ms}, _From, S) -> timer:sleep(Ms), {reply, late, S#st{served = S#st.served + 1, last = slow}}.
handle_cast(_, S) -> {noreply, S}.
