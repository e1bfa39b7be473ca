import type { TermNode } from '../../engine/text-terms/parse';

/**
 * Reprints a parsed Elixir inspect term in Erlang syntax (`~p`-like, one
 * line): `%{a: 1}` → `#{a => 1}`, `"s"` → `<<"s">>`, `Foo.Bar` →
 * `'Elixir.Foo.Bar'`, `#PID<0.1.0>` → `<0.1.0>`. Display only; the engine
 * keeps the Elixir text, and raw (unparsed) pieces are shown as they were.
 */
export function toErlang(n: TermNode): string {
  switch (n.t) {
    case 'map': {
      const parts = n.entries.map((e) => `${e.kw ? erlAtomFromElixir(e.key.text) : toErlang(e.key)} => ${toErlang(e.value)}`);
      if (n.struct) parts.unshift(`'__struct__' => ${erlAtom('Elixir.' + n.struct)}`);
      return `#{${parts.join(', ')}}`;
    }
    case 'list': {
      const items = n.items.map((i) => ('kwKey' in i && i.t === 'tuple' ? `{${erlAtomFromElixir(i.items[0].text)}, ${toErlang(i.items[1])}}` : toErlang(i)));
      return `[${items.join(', ')}${n.tail ? ` | ${toErlang(n.tail)}` : ''}]`;
    }
    case 'tuple':
      return `{${n.items.map(toErlang).join(', ')}}`;
    case 'string':
      return n.text === '""' ? '<<>>' : `<<${n.text}/utf8>>`;
    case 'charlist':
      return n.text.startsWith('~c') ? '"' + n.text.slice(3, -1) + '"' : '"' + n.text.slice(1, -1).replace(/"/g, '\\"') + '"';
    case 'atom':
      return erlAtomFromElixir(n.text);
    case 'opaque': {
      const m = /^#(\w+)<(.*)>$/s.exec(n.text);
      if (!m) return n.text;
      if (m[1] === 'PID') return `<${m[2]}>`;
      if (m[1] === 'Reference') return `#Ref<${m[2]}>`;
      if (m[1] === 'Function') return `#Fun<${m[2]}>`;
      return n.text;
    }
    default:
      return n.text;
  }
}

const RESERVED = new Set(
  'after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let not of or orelse receive rem try when xor maybe else'.split(' '),
);

export function erlAtom(name: string): string {
  if (/^[a-z][A-Za-z0-9_@]*$/.test(name) && !RESERVED.has(name)) return name;
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `:foo`, `:"foo bar"`, `Foo.Bar`, `nil`, `true` → the Erlang atom. */
function erlAtomFromElixir(text: string): string {
  if (text === 'nil' || text === 'true' || text === 'false') return text;
  if (text.startsWith(':"')) {
    try {
      return erlAtom(JSON.parse(text.slice(1)) as string);
    } catch {
      return `'${text.slice(2, -1)}'`;
    }
  }
  if (text.startsWith(':')) return erlAtom(text.slice(1));
  if (/^[A-Z]/.test(text)) return erlAtom('Elixir.' + text);
  return text;
}
