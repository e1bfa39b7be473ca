/**
 * A tolerant parser of Elixir `inspect` text, for display only: the engine
 * stores terms as inspect text (docs/SCHEMA.md), and the state inspector
 * wants to fold, diff and reprint them. It never throws: anything it does not
 * understand becomes a `raw` node holding the text as it was, and a term
 * that does not parse as a whole falls back to one `raw` node.
 */
export type TermNode =
  | { t: 'map'; struct: string | null; entries: MapEntry[]; text: string }
  | { t: 'list'; items: TermNode[]; tail: TermNode | null; keyword: boolean; text: string }
  | { t: 'tuple'; items: TermNode[]; text: string }
  | { t: 'string'; text: string }
  | { t: 'charlist'; text: string }
  | { t: 'bits'; text: string }
  | { t: 'atom'; text: string }
  | { t: 'number'; text: string }
  | { t: 'opaque'; text: string } // #PID<...>, #Reference<...>, #Port<...>, #Function<...>
  | { t: 'raw'; text: string };

/** A map entry or keyword pair. `kw` keys are written `key:` (the atom `:key`). */
export interface MapEntry {
  key: TermNode;
  kw: boolean;
  value: TermNode;
}

/** Keyword-list items are 2-tuples whose key is written `key:`; `kwKey` marks them. */
export type KwTuple = { t: 'tuple'; items: TermNode[]; text: string; kwKey: true };

/** A line snapshot's term text, `{line, bindings}`, taken apart; null when it has another shape. */
export function parseSnapshot(text: string): { line: number; bindings: TermNode } | null {
  const t = parseTerm(text);
  return t.t === 'tuple' && t.items.length === 2 ? { line: Number(t.items[0].text) || 0, bindings: t.items[1] } : null;
}

export function parseTerm(text: string): TermNode {
  const p = new Parser(text);
  try {
    p.ws();
    const node = p.term();
    p.ws();
    if (p.i !== text.length) return { t: 'raw', text };
    return node;
  } catch {
    return { t: 'raw', text };
  }
}

class ParseFail extends Error {}

const OPEN_CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  fail(): never {
    throw new ParseFail();
  }

  peek(str: string): boolean {
    return this.s.startsWith(str, this.i);
  }

  expect(str: string): void {
    if (!this.peek(str)) this.fail();
    this.i += str.length;
  }

  term(): TermNode {
    const start = this.i;
    const s = this.s;
    const c = s[this.i];
    if (c === undefined) this.fail();
    if (c === '%') return this.map(start);
    if (c === '{') {
      this.i++;
      const items = this.seq('}', false) as TermNode[];
      return { t: 'tuple', items, text: s.slice(start, this.i) };
    }
    if (c === '[') return this.list(start);
    if (c === '"') {
      this.quoted('"');
      return { t: 'string', text: s.slice(start, this.i) };
    }
    if (c === "'") {
      this.quoted("'");
      return { t: 'charlist', text: s.slice(start, this.i) };
    }
    if (this.peek('~c"') || this.peek("~c'")) {
      this.i += 2;
      this.quoted(s[this.i]);
      return { t: 'charlist', text: s.slice(start, this.i) };
    }
    if (this.peek('<<')) {
      this.balanced('<<', '>>');
      return { t: 'bits', text: s.slice(start, this.i) };
    }
    if (c === '#') {
      // #PID<0.1.0>, #Reference<...>, #Port<...>, #Function<...>, #Name<...>
      const m = /^#[A-Za-z.]+</.exec(s.slice(this.i, this.i + 40));
      if (!m) this.fail();
      this.i += m[0].length - 1;
      this.bracketed('<');
      return { t: 'opaque', text: s.slice(start, this.i) };
    }
    if (c === ':') {
      if (s[this.i + 1] === '"') {
        this.i++;
        this.quoted('"');
      } else {
        const m = /^:(?:[A-Za-z_][\w@]*[?!]?|[^\s,\]})>]+)/.exec(s.slice(this.i, this.i + 300));
        if (!m) this.fail();
        this.i += m[0].length;
      }
      return { t: 'atom', text: s.slice(start, this.i) };
    }
    if (this.peek('...')) {
      this.i += 3;
      return { t: 'raw', text: '...' };
    }
    const num = /^-?\d[\d_]*(?:\.\d[\d_]*)?(?:e[+-]?\d+)?/.exec(s.slice(this.i, this.i + 80));
    if (num) {
      this.i += num[0].length;
      return { t: 'number', text: num[0] };
    }
    // Aliases (Foo.Bar), nil/true/false, and anything else word-like up to a delimiter.
    const word = /^[A-Za-z_][\w.@]*[?!]?/.exec(s.slice(this.i, this.i + 300));
    if (word) {
      this.i += word[0].length;
      // A function-call-looking term such as `MapSet.new([1])` or `~D[...]`: keep it raw.
      if (s[this.i] === '(') this.bracketed('(');
      return { t: /^[a-z_]/.test(word[0]) && !/^(nil|true|false)$/.test(word[0]) ? 'raw' : 'atom', text: s.slice(start, this.i) };
    }
    if (c === '~') {
      // Sigils: ~D[2024-01-01], ~r/x/, ~U[...]
      this.i += 2;
      const open = s[this.i];
      if (open in OPEN_CLOSE) this.bracketed(open);
      else this.quoted(open);
      while (/[a-z]/.test(s[this.i] ?? '')) this.i++;
      return { t: 'raw', text: s.slice(start, this.i) };
    }
    this.fail();
  }

  map(start: number): TermNode {
    this.expect('%');
    let struct: string | null = null;
    if (this.s[this.i] !== '{') {
      const m = /^[A-Za-z_][\w.]*/.exec(this.s.slice(this.i, this.i + 300));
      if (!m) this.fail();
      struct = m[0];
      this.i += m[0].length;
    }
    this.expect('{');
    const entries = this.seq('}', true) as MapEntry[];
    return { t: 'map', struct, entries, text: this.s.slice(start, this.i) };
  }

  list(start: number): TermNode {
    this.expect('[');
    const items: TermNode[] = [];
    let tail: TermNode | null = null;
    let keyword = false;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return { t: 'list', items, tail, keyword, text: this.s.slice(start, this.i) };
    }
    for (;;) {
      this.ws();
      const kw = this.kwKey();
      if (kw) {
        keyword = true;
        this.ws();
        const value = this.term();
        const kStart = kw.start;
        items.push({ t: 'tuple', items: [kw.key, value], text: this.s.slice(kStart, this.i), kwKey: true } as KwTuple);
      } else items.push(this.term());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '|') {
        this.i++;
        this.ws();
        tail = this.term();
        this.ws();
        this.expect(']');
        break;
      }
      if (c === ']') {
        this.i++;
        break;
      }
      this.fail();
    }
    return { t: 'list', items, tail, keyword, text: this.s.slice(start, this.i) };
  }

  /** `key: ` (or `"quoted key": `) at the cursor: returns the atom it stands for. */
  kwKey(): { key: TermNode; start: number } | null {
    const start = this.i;
    const m = /^([A-Za-z_][\w@]*[?!]?): /.exec(this.s.slice(this.i, this.i + 300));
    if (m) {
      this.i += m[0].length;
      return { key: { t: 'atom', text: ':' + m[1] }, start };
    }
    if (this.s[this.i] === '"') {
      const save = this.i;
      this.quoted('"');
      if (this.peek(': ')) {
        const q = this.s.slice(save, this.i);
        this.i += 2;
        return { key: { t: 'atom', text: ':' + q }, start };
      }
      this.i = save;
    }
    return null;
  }

  /** Comma-separated terms (or map entries) up to `close`. */
  seq(close: string, entries: boolean): TermNode[] | MapEntry[] {
    const out: (TermNode | MapEntry)[] = [];
    this.ws();
    if (this.s[this.i] === close) {
      this.i++;
      return out as TermNode[];
    }
    for (;;) {
      this.ws();
      if (entries) {
        const kw = this.kwKey();
        if (kw) {
          this.ws();
          out.push({ key: kw.key, kw: true, value: this.term() });
        } else {
          const key = this.term();
          this.ws();
          if (key.t === 'raw' && key.text === '...') out.push({ key, kw: false, value: key });
          else {
            this.expect('=>');
            this.ws();
            out.push({ key, kw: false, value: this.term() });
          }
        }
      } else out.push(this.term());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === close) {
        this.i++;
        return out as TermNode[];
      }
      this.fail();
    }
  }

  quoted(q: string): void {
    if (this.s[this.i] !== q) this.fail();
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === q) {
        this.i++;
        return;
      } else this.i++;
    }
    this.fail();
  }

  /** Skips a bracketed run starting at `open`, honouring nesting and quotes. */
  bracketed(open: string): void {
    const close = OPEN_CLOSE[open];
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '"' || (c === "'" && open !== '<')) {
        this.quoted(c);
        continue;
      }
      if (c === open) depth++;
      else if (c === close) {
        depth--;
        if (depth === 0) {
          this.i++;
          return;
        }
      }
      this.i++;
    }
    this.fail();
  }

  balanced(open: string, close: string): void {
    let depth = 0;
    while (this.i < this.s.length) {
      if (this.peek(open)) {
        depth++;
        this.i += open.length;
      } else if (this.peek(close)) {
        depth--;
        this.i += close.length;
        if (depth === 0) return;
      } else if (this.s[this.i] === '"') this.quoted('"');
      else this.i++;
    }
    this.fail();
  }
}

/** Children of a node as [label, child] pairs, for tree views and diffs. Labels are the path step as shown. */
export interface Child {
  label: string;
  key: string;
  node: TermNode;
  /** The key term of a map entry or keyword pair. */
  keyNode?: TermNode;
  /** The whole `{k, v}` of a keyword pair (Erlang shows it as a tuple). */
  pair?: TermNode;
}

export function childrenOf(n: TermNode): Child[] {
  switch (n.t) {
    case 'map':
      return n.entries.map((e) => {
        const k = e.kw ? e.key.text.slice(1) + ':' : e.key.text + ' =>';
        return { label: k, key: keyId(e.key), node: e.value, keyNode: e.key };
      });
    case 'list': {
      const out: Child[] = n.items.map((item, i) => {
        if ('kwKey' in item && item.t === 'tuple')
          return { label: item.items[0].text.slice(1) + ':', key: `[${i}]`, node: item.items[1], keyNode: item.items[0], pair: item };
        return { label: '', key: `[${i}]`, node: item };
      });
      if (n.tail) out.push({ label: '|', key: '|', node: n.tail });
      return out;
    }
    case 'tuple':
      return n.items.map((item, i) => ({ label: '', key: `{${i}}`, node: item }));
    default:
      return [];
  }
}

export function isContainer(n: TermNode): boolean {
  return n.t === 'map' || n.t === 'list' || n.t === 'tuple';
}

/** A key's identity for diffs: `count:` and `:count =>` are the same key. */
function keyId(k: TermNode): string {
  return k.text;
}

/** Opening and closing brackets of a container as Elixir prints them. */
export function bracketsOf(n: TermNode): [string, string] {
  if (n.t === 'map') return [n.struct ? `%${n.struct}{` : '%{', '}'];
  if (n.t === 'list') return ['[', ']'];
  if (n.t === 'tuple') return ['{', '}'];
  return ['', ''];
}
