import { parseTerm, type TermNode } from '../text-terms/parse';

/**
 * Message and request shapes: a term with its variable parts elided, so the
 * same kind of message groups together across two recordings
 * (`{:audit, :apple, 2}` and `{:audit, :fig, 7}` are both `{:audit, _, _}`).
 *
 * A tuple keeps its first element when it is an atom (the tag) and elides the
 * others, except tuples, which keep their own shape; a bare atom is kept; a
 * struct keeps its name (`%URI{}`); anything else (numbers, strings, lists,
 * maps, pids, references) is `_`. GenServer envelopes keep the request's
 * shape: `{:"$gen_call", _, {:add, _, _}}`, `{:"$gen_cast", :flush}`.
 */
export function shapeOf(text: string): string {
  return shape(parseTerm(text), true);
}

function shape(n: TermNode, top: boolean): string {
  switch (n.t) {
    case 'atom':
      return top ? n.text : '_';
    case 'tuple': {
      const [head, ...rest] = n.items;
      if (head === undefined) return '{}';
      if (head.t === 'atom' && (head.text === ':"$gen_call"' || head.text === ':"$gen_cast"')) {
        const req = rest[rest.length - 1];
        return `{${head.text}${rest.length === 2 ? ', _' : ''}, ${req ? shape(req, true) : '_'}}`;
      }
      const first = head.t === 'atom' ? head.text : shape(head, false);
      return `{${[first, ...rest.map((x) => (x.t === 'tuple' ? shape(x, false) : x.t === 'map' && x.struct ? shape(x, false) : '_'))].join(', ')}}`;
    }
    case 'map':
      return n.struct ? `%${n.struct}{}` : '_';
    case 'raw':
      // Text the parser could not take apart (past inspect's limit): its leading tag, if any, still groups it.
      return /^\{:[\w"$]+/.exec(n.text)?.[0].concat(', ...}') ?? '_';
    default:
      return '_';
  }
}

const OPAQUE = /#(PID|Reference|Port)<[^>]*>/g;

/**
 * A term's text with pids, references and ports elided: they differ between
 * two runs of the same scenario, so two states that differ only in them are
 * the same state for a comparison.
 */
export function elideIds(text: string): string {
  return text.replace(OPAQUE, '#$1<_>');
}
