# A seeded corpus of terms, sent one by one to a GenServer whose callbacks
# are traced, so each is a row of `messages` (msg); every third goes as
# `{:corpus_state, term}` and becomes the server's state (`states`). Beside
# the archive, NAME.json holds what the recording node's own inspect/1 printed
# for each message and each state after a message, which the analyzer must
# print alike (test/unit/term-corpus.test.ts). Hand-picked edge cases come
# first (atoms of every shape, floats, escapes, limits, structs, identifiers
# of other nodes), then random nestings of them from a fixed seed, many of
# them cut by inspect's limit of 50 in the middle of a container.
#
# Recorded on Elixir 1.14 / OTP 25 and on 1.18 / OTP 27 (the trixie chroot):
#   NAME=term-corpus-1.14.zip mix run ../test/scenarios/term_corpus.exs
# and, RAW=1, as a raw dbg trace on OTP 27 (test/fixtures/raw/gen.sh says how).
defmodule Scn.Corpus do
  use GenServer

  def init(_), do: {:ok, nil}

  def handle_info({:corpus_state, t}, _), do: {:noreply, t}
  def handle_info(_, _), do: {:noreply, nil}
end

defmodule Scn.Corpus.User do
  defstruct [:name, id: 0, tags: []]
end

defmodule Scn.Corpus.Point do
  defstruct z: 0, x: 0, y: 0
end

defmodule Scn.Corpus.Funs do
  def two(a, b), do: {a, b}
  def anon, do: fn x -> x end
  def closure(a), do: fn -> a end
end

defmodule Scn.Corpus.Gen do
  # Identifiers of a node this one never met, as a message from it would carry them.
  def remote(kind, node, id) do
    n = Atom.to_string(node)
    nd = <<118, byte_size(n)::16, n::binary>>

    bytes =
      case kind do
        :pid -> <<131, 88, nd::binary, id::32, 0::32, 3::32>>
        :port -> <<131, 89, nd::binary, id::32, 3::32>>
        :ref -> <<131, 90, 3::16, nd::binary, 3::32, id::32, 7::32, 9::32>>
      end

    :erlang.binary_to_term(bytes)
  end

  def leaves(port) do
    atoms = [
      :ok, :+, :"::", :.., :"...", :"..//", :-, :"//", :->, :<<>>, :%{}, :%, :{}, :&, :^, :@, :when, :do,
      Foo, Foo.Bar, :"Elixir.Foo bar", :"Elixir.foo", :Elixir, :"Elixir.", :"foo bar", :"with\"quote",
      :"", :"\n", :_, :_foo, :"123", :A, :"a-b", :\\, :foo?, :foo!, :"foo?!", :"ñandú", :日本, :"日本abc",
      :日本_abc, :"Ελληνικά", :"a\u00A0b", :"e\u0301", nil, true, false, :nil, :true?, :||, :|||,
      :"|", :!==, :=~, :"=>", :"<>", :"::a", :"Elixir.Foo.bar", :"Elixir.Foo-Bar", :"foo@bar", :"a.b", :!,
      :"?", :"....", :~~~, :<<~, :~>>, :<~>, :|>, :<|>, :^^^, :**, :not, :and, :in, :"not in", :"@foo", :=, :==,
      String.to_atom(String.duplicate("a", 255)), String.to_atom(String.duplicate("é-", 127)), :"a\u200Db", :"\u00AD", :"a\u2066b", :"Ÿ", :"ǅ", :"A1?", :"a?b", :"-"
    ]

    ints = [0, -1, 42, 255, 256, 2 ** 27, -(2 ** 31), 2 ** 64, -(2 ** 100), 2 ** 300, 2 ** 59, -(2 ** 59) - 1, 2 ** 63 - 1]
    ints = ints ++ for(_ <- 1..10, do: (:rand.uniform(2 ** 80) - 2 ** 79) * Enum.random([1, 1000, 2 ** 40]))
    randfloats = for _ <- 1..30, do: (:rand.uniform() - 0.5) * :math.pow(10, Enum.random(-40..40))

    floats = [
      -0.0, 0.0, 1.0e20, 1.0e-10, 0.1, 1 / 3, 1.0e15, 1.0e16, 123_456_789_012_345_680.0, 5.0e-324,
      1.7976931348623157e308, 2.2250738585072014e-308, 100.0, 1.5e300, -1.0e-5, 0.001, 1.0e-4, 9.999999999999999e22,
      2.5, -7.25e-7, 1.0e16 - 2, 9.007199254740993e15, 4.35, 0.30000000000000004, 1.0e100, 1.0e-100, 123.456
    ] ++ randfloats

    bins = [
      "", "hello", "a\nb\tc\e\a\x00d", "\r\v\f\b", "\#{x}", "say \"hi\"", "back\\slash", <<0xFF, 0xFE>>,
      <<"abc", 0xFF>>, <<1::3>>, <<1, 2, 3::4>>, <<7::1>>, "é", "e\u0301", "\d", "tab\tend", "日本語",
      "a\u00A0b\u200Dc\u202Ed", "emoji 😀", <<0::8, "x">>, "\u2028", "~s{x}", "a#b", "\#{", <<"a", 0>>,
      :binary.copy(<<1>>, 60), String.duplicate("ab", 2048), String.duplicate("ab", 2048) <> "c",
      String.duplicate("xyz ", 1250), String.duplicate("é", 4097), String.duplicate("é", 4095) <> "\n",
      <<String.duplicate("q", 5000)::binary, 0xFF>>, "\u00AD", "\u061C\uFEFF\u2066x\u2069", "\u0085", "\u{10FFFF}",
      "\u{E0001}", "a\u2029b", <<0::size(483)>>, "\u00A0" <> String.duplicate("n", 4095), "\\\"\#{}"
    ]

    charlists = [
      ~c"abc", ~c"a\nb", [1, 2, 3], [?a, 300], ~c"héllo", [?a | ?b], ~c"it's", ~c"say \"x\"", [0],
      ~c"\e\a", [?a, ?b, 127], ~c"\#{x}", [7, 8, 9, 10, 11, 12, 13, 27], ~c"日本", :lists.duplicate(60, ?z),
      [?a, ?b, 0x1F600], ~c"abc" ++ [0], :lists.duplicate(4100, ?w), [?a, ?\\, ?', ?"]
    ]

    lists = [
      [], [1 | 2], [1, 2 | :c], [[], [[]]], Enum.to_list(1..60), [a: 1, b: "x"], ["foo bar": 1, +: 2, "::": 3],
      [{Foo, 1}], [{:a, 1}, {"b", 2}], [{:a, 1, 2}], [{:"Elixir.foo", 1}], [nil: 1, true: 2], [do: :x, else: :y],
      Enum.map(1..55, &{:"k#{&1}", &1}), [1, [2, [3, [4 | 5]]]], [{:a, 1} | :tail],
      Enum.to_list(1..60) ++ :tail, [{:"not in", 1}, {:when, 2}, {:"Elixir.Foo.bar", 3}], [a: %Scn.Corpus.Point{}]
    ]

    tuples = [{[], %{}, {}, "", ~c""}, {1}, {:ok, 1}, List.to_tuple(Enum.to_list(1..60)), {:state, 1, "x", []}, {:r, :undefined}, {{}}]

    maps = [
      %{},
      %{a: 1},
      Map.new(1..40, &{:"key_#{&1}", &1}),
      Map.new(1..40, &{&1, -&1}),
      %{"a" => 1, 1 => 2},
      %{:a => 1, "b" => 2},
      %{:b => 1, 1 => :x, :a => 2},
      %{%{a: 1} => {1, 2}, {1, 2} => [3], [1] => %{}},
      %{Foo => 3, "foo bar": 1, +: 2},
      %{nil => 1, true => 2},
      %{x: %{y: %{z: [1, 2]}}},
      %{1.0 => :f, 1 => :i, -0.0 => :n},
      %{__struct__: Scn.Corpus.Missing, a: 1},
      %{__struct__: Scn.Corpus.User, name: "only"},
      %{__struct__: "no", a: 1},
      Map.new(1..60, &{"s#{&1}", [&1]})
    ]

    {:ok, uri} = {:ok, URI.parse("https://user@example.com:8443/p/a%20th?q=1&r=2#frag")}

    structs =
      [
        1..10,
        Range.new(1, 10, 3),
        Range.new(10, 1, -1),
        Range.new(5, 1, 1),
        Range.new(-3, -1, 1),
        MapSet.new([3, 1, 2]),
        MapSet.new(),
        MapSet.new(1..60),
        Range.new(1, 0, 1),
        Range.new(-(2 ** 70), 2 ** 70, 2 ** 65),
        %NaiveDateTime{year: 10000, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: {5, 6}},
        %Time{hour: 0, minute: 0, second: 0, microsecond: {0, 0}},
        Regex.compile!("a\nb/c\"d", "xmU"),
        ~r/\//f,
        Version.parse!("1.0.0+only.build"),
        %ErlangError{original: :nope},
        File.stat!("/", time: :posix) |> Map.merge(%{size: 4096, inode: 2, atime: 1, mtime: 2, ctime: 3}),
        %Task{pid: self(), ref: make_ref(), owner: self(), mfa: {:erlang, :apply, 2}},
        %Inspect.Opts{},
        Date.range(~D[2026-01-09], ~D[2026-01-01], -3),
        %CompileError{description: "x", file: "f.ex", line: 3},
        ~w(a b c)a,
        %Time{hour: 1, minute: 2, second: 3, microsecond: {123_456, 2}},
        %NaiveDateTime{year: -1, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: {0, 0}},
        %DateTime{
          year: 2026, month: 7, day: 1, hour: 8, minute: 0, second: 0, microsecond: {0, 0},
          time_zone: "America/New_York", zone_abbr: "EDT", utc_offset: -18000, std_offset: 3600
        },
        %DateTime{
          year: 2026, month: 7, day: 1, hour: 8, minute: 0, second: 0, microsecond: {0, 0},
          time_zone: "UTC", zone_abbr: "UTC", utc_offset: 0, std_offset: 0
        },
        %DateTime{
          year: 2026, month: 7, day: 1, hour: 8, minute: 0, second: 0, microsecond: {7, 6},
          time_zone: "Asia/Kolkata", zone_abbr: "IST", utc_offset: 19800, std_offset: 0
        },
        Version.parse!("2.0.0-dev.3.x+a.b"),
        Version.parse_requirement!(">= 1.0.0 and < 2.0.0-dev or == 3.0.0"),
        ~r/é\\d+/u,
        Regex.compile!("a b", ""),
        URI.parse("http://u:p@h"),
        URI.parse("mailto:x@y.z"),
        MapSet.new([{:a, 1}, "x"]),
        ~D[2026-01-02],
        ~D[0001-01-01],
        %Date{year: 12345, month: 6, day: 7},
        %Date{year: -5, month: 1, day: 1},
        ~T[12:00:00],
        ~T[12:00:00.123],
        ~T[23:59:59.000001],
        %Time{hour: 1, minute: 2, second: 3, microsecond: {0, 3}},
        ~N[2026-01-02 03:04:05.000001],
        ~N[2026-01-02 03:04:05],
        ~U[2026-01-02 03:04:05.123456Z],
        ~U[2026-01-02 03:04:05Z],
        %DateTime{
          year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: {120, 4},
          time_zone: "Europe/Paris", zone_abbr: "CET", utc_offset: 3600, std_offset: 0
        },
        Date.range(~D[2026-01-01], ~D[2026-01-05]),
        Date.range(~D[2026-01-01], ~D[2026-01-09], 2),
        uri,
        URI.parse("/relative"),
        Version.parse!("1.2.3-rc.1+build.5"),
        Version.parse!("0.0.1"),
        Version.parse_requirement!("~> 1.2"),
        ~r/ab+c/iu,
        ~r/a\/b/,
        ~r/x/,
        Regex.compile!("a.b", "s"),
        %RuntimeError{message: "boom"},
        %ArgumentError{message: "bad"},
        %KeyError{key: :k, term: %{a: 1}},
        %MatchError{term: {1, 2}},
        %Scn.Corpus.User{name: "ann", id: 7, tags: [:a]},
        %Scn.Corpus.Point{x: 1, y: 2},
        %Scn.Corpus.User{name: %Scn.Corpus.Point{}, tags: Enum.to_list(1..55)},
        {:ok, %Scn.Corpus.User{}}
      ] ++
        if Code.ensure_loaded?(Duration),
          do: [struct(Duration, hour: 1, minute: 30), struct(Duration, second: 5, microsecond: {1000, 3})],
          else: []

    ids = [
      self(),
      spawn(fn -> :ok end),
      port,
      make_ref(),
      remote(:pid, :other_corpus@elsewhere, 77),
      remote(:port, :other_corpus@elsewhere, 5),
      remote(:ref, :third_corpus@elsewhere, 11),
      :erlang.list_to_pid(~c"<0.4.0>"),
      Process.monitor(self()),
      :erlang.alias(),
      :ets.new(:corpus, []),
      :atomics.new(1, []),
      :erlang.list_to_ref(~c"#Ref<0.1.2.3>"),
      Enum.reduce(1..55, [], fn i, acc -> [remote(:pid, :"n#{rem(i, 3)}@elsewhere", i) | acc] end),
      :erlang.list_to_pid(~c"<0.32767.8191>"),
      remote(:port, :other_corpus@elsewhere, 4_000_000_000)
    ]

    y = 42

    funs = [
      Scn.Corpus.Funs.anon(),
      Scn.Corpus.Funs.closure(:captured),
      &Scn.Corpus.Funs.two/2,
      &:erlang.+/2,
      &:lists.map/2,
      &Enum.reduce/3,
      fn x -> x + y end,
      &:erlang.is_atom/1
    ]

    Enum.map(atoms, &{:atom, &1}) ++
      Enum.map(ints, &{:int, &1}) ++
      Enum.map(floats, &{:float, &1}) ++
      Enum.map(bins, &{:binary, &1}) ++
      Enum.map(charlists, &{:charlist, &1}) ++
      Enum.map(lists, &{:list, &1}) ++
      Enum.map(tuples, &{:tuple, &1}) ++
      Enum.map(maps, &{:map, &1}) ++
      Enum.map(structs, &{:struct, &1}) ++
      Enum.map(ids, &{:id, &1}) ++ Enum.map(funs, &{:fun, &1})
  end

  # Nestings that inspect's limit of 50 cuts in the middle of a container.
  def limits do
    [
      Enum.map(1..10, fn i -> Enum.to_list(i..(i + 9)) end),
      Enum.map(1..30, fn i -> {i, i, i} end),
      {Enum.to_list(1..40), Enum.to_list(1..40)},
      %{a: Enum.to_list(1..45), b: Enum.to_list(1..10), c: 1},
      Map.new(1..20, fn i -> {i, Enum.to_list(1..5)} end),
      Enum.reduce(1..60, :leaf, fn _, acc -> [acc] end),
      Enum.reduce(1..60, :leaf, fn i, acc -> {i, acc} end),
      Enum.reduce(1..30, :leaf, fn i, acc -> %{i => acc} end),
      [Enum.to_list(1..49), :x, :y],
      [Enum.to_list(1..48) | :tail],
      Enum.map(1..20, fn i -> [k: i, v: [i, i]] end),
      List.to_tuple(Enum.map(1..20, fn i -> %{i: i, l: [i]} end)),
      [<<1, 2, 3, 4, 5, 6, 7, 8, 9, 10>>, :binary.copy(<<0>>, 45), <<1, 2, 3>>],
      [MapSet.new(1..40), MapSet.new(1..40)],
      [1..2, %Scn.Corpus.User{tags: Enum.to_list(1..48)}, :after]
    ]
  end

  def random(leaves, 0), do: Enum.random(leaves)

  def random(leaves, depth) do
    case :rand.uniform(10) do
      n when n <= 3 -> Enum.random(leaves)
      4 -> List.to_tuple(for _ <- 1..size()//1, do: random(leaves, depth - 1))
      5 -> for _ <- 1..size()//1, do: random(leaves, depth - 1)
      6 -> Map.new(1..size()//1, fn _ -> {random(leaves, depth - 1), random(leaves, depth - 1)} end)
      7 -> Map.new(1..size()//1, fn i -> {:"r#{rem(i * 7, 40)}", random(leaves, depth - 1)} end)
      8 -> for i <- 1..size()//1, do: {Enum.random([:a, :"b c", :+, :if, :do, :"Elixir.X", :z9]), i}
      9 -> [random(leaves, depth - 1) | random(leaves, depth - 1)]
      10 -> %Scn.Corpus.User{name: random(leaves, depth - 1), tags: random(leaves, depth - 1)}
    end
  end

  defp size, do: Enum.random([0, 1, 2, 3, 5, 8, 13, 21, 34, 55])
end

out = System.get_env("OUT", "../test/fixtures/scenarios")
name = System.get_env("NAME", "term-corpus-1.14.zip")
for m <- [Scn.Corpus, Scn.Corpus.User, Scn.Corpus.Point, Scn.Corpus.Funs], do: Code.ensure_loaded(m)
me = self()

limits = [max_binary: 20_000, max_list: 5000, max_map: 1000, max_tuple: 1000, max_depth: 100]
raw? = System.get_env("RAW") == "1"

# RAW=1: a raw dbg trace-port file (NAME, e.g. term-corpus.trace) in place of an archive, the server's receives
# and its callbacks' calls and returns traced, of the terms a raw trace can print as inspect does: no structs
# beyond the standard library's common ones (a raw trace lists no struct's fields, docs/SCHEMA.md "Terms") and
# none bigger than 700 bytes.
record = fn body ->
  if raw? do
    {:ok, _} = Application.ensure_all_started(:runtime_tools)
    {:ok, _} = :dbg.tracer(:port, :dbg.trace_port(:file, String.to_charlist(Path.join(out, name))))
    {:ok, _} = :dbg.tpl(Scn.Corpus, :handle_info, :x)
    body.()
    :dbg.flush_trace_port()
    :dbg.stop()
  else
    Otpscope.record([file: Path.join(out, name), processes: :new] ++ limits, body)
  end
end

raw_fits? = fn t ->
  not raw? or (:erlang.external_size(t) <= 700 and not String.contains?(inspect(t), ["%Scn.Corpus.", "%Inspect.Opts{"]))
end

record.(fn ->
  Task.async(fn ->
    # The seed is the process's own: this one draws every random term.
    :rand.seed(:exsss, {2026, 12, 6})
    port = Port.open({:spawn, "cat"}, [])
    {:ok, srv} = GenServer.start(Scn.Corpus, nil)
    fixed = Scn.Corpus.Gen.leaves(port)
    leaves = Enum.map(fixed, &elem(&1, 1))
    small = Enum.reject(leaves, &(:erlang.external_size(&1) > 600))
    limits = Enum.map(Scn.Corpus.Gen.limits(), &{:limit, &1})
    randoms = for _ <- 1..150, do: {:random, Scn.Corpus.Gen.random(small, 4)}
    randoms = Enum.reject(randoms, fn {_, t} -> :erlang.external_size(t) > 4000 end)
    corpus = Enum.with_index(Enum.filter(fixed ++ limits ++ randoms, fn {_, t} -> raw_fits?.(t) end))
    if raw?, do: {:ok, _} = :dbg.p(srv, [:receive, :call, :timestamp])

    sent =
      for {{kind, t}, i} <- corpus do
        msg = if rem(i, 3) == 0, do: {:corpus_state, t}, else: t
        send(srv, msg)
        {kind, msg, if(rem(i, 3) == 0, do: t, else: nil)}
      end

    # Every message handled: the last state is in.
    _ = :sys.get_state(srv)
    Port.close(port)
    send(me, {:sent, sent})
  end)
  |> Task.await(60_000)

  Process.sleep(20)
end)

receive do
  {:sent, sent} ->
    json =
      Otpscope.JSON.encode(
        {:object,
         [
           {"elixir", System.version()},
           {"otp", System.otp_release()},
           {"kinds", Enum.map(sent, &Atom.to_string(elem(&1, 0)))},
           {"messages", Enum.map(sent, &inspect(elem(&1, 1)))},
           {"states", Enum.map(sent, &inspect(elem(&1, 2)))}
         ]}
      )

    File.write!(Path.join(out, name <> ".json"), json <> "\n")
end
