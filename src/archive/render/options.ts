import type { ErlFun } from '../etf/term';

/**
 * Options shared by the Elixir and Erlang renderers. The defaults reproduce
 * `inspect/1` and `~0tp` on the traced node itself, except for what the bytes
 * of a term cannot tell (see `localNode`, `funName`, `structFields`).
 */
export interface RenderOptions {
  /** Elixir only: items shown per collection before `...` (inspect's `:limit`, default 50). */
  limit?: number;
  /** Elixir only: characters shown of a string or charlist (inspect's `:printable_limit`, default 4096). */
  printableLimit?: number;
  /** Elixir only: inspect's `:charlists` (default 'infer'). */
  charlists?: 'as_lists' | 'as_charlists' | 'infer';
  /** Elixir only: write charlists as `~c"abc"` (Elixir 1.15+) instead of `'abc'` (1.14). */
  sigilCharlists?: boolean;
  /**
   * Elixir only: Elixir 1.18's inspect where it differs from 1.14's beyond charlists: special spaces, zero-width and
   * bidirectional characters in strings and quoted atoms as `\u200D`; an unquoted atom mixes scripts only across
   * `_`-separated chunks (`:日本_abc`, but `:"日本abc"`); a Date or NaiveDateTime past year 9999 as `Date.new!(...)`.
   */
  elixir118?: boolean;
  /**
   * The traced node's name. Pids, ports and refs print their node as an index into the
   * printing node's connection table (`#PID<0.1.0>` is local). Without `localNode`, every
   * pid prints with 0. With it, identifiers of other nodes print `nodeIndex(node)`.
   */
  localNode?: string;
  /** The table index printed for a remote node (default 0); only asked when `localNode` is set. */
  nodeIndex?: (node: string) => number;
  /**
   * The compiled name of a local fun (e.g. `-handle_call/3-fun-0-`), which the runtime looks up
   * in the loaded module and the encoding does not carry. Without it a fun prints as
   * `#Function<1.2345/1 in Mod>` instead of `#Function<1.2345/1 in Mod.handle_call/3>`.
   */
  funName?: (fun: ErlFun) => string | undefined;
  /**
   * Elixir only: the field names, in definition order, of a struct module (`'Elixir.MyApp.User'`),
   * for modules beyond the standard library ones built in. inspect prints a struct whose module
   * it cannot load as a plain map (`%{__struct__: MyApp.User, ...}`), and so do we without this.
   */
  structFields?: (module: string) => readonly string[] | undefined;
}
