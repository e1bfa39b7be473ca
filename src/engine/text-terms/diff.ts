import { childrenOf, isContainer, type TermNode } from './parse';

/**
 * A structural diff of two parsed states, for the state inspector: maps
 * compare key by key, lists and tuples index by index, anything else by its
 * text. Paths are the child keys joined with '/', the same keys TermTree uses,
 * so the tree can mark what changed.
 */
export interface TextChange {
  path: string;
  /** The path as a reader would write it: `.count`, `[2]`, `{1}`. */
  label: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

export function diffNodes(before: TermNode, after: TermNode, max = 200): TextChange[] {
  const out: TextChange[] = [];
  const walk = (a: TermNode, b: TermNode, path: string, label: string): void => {
    if (out.length >= max || a.text === b.text) return;
    const sameShape = a.t === b.t && isContainer(a) && (a.t !== 'tuple' || childrenOf(a).length === childrenOf(b).length);
    if (!sameShape || (a.t === 'map' && b.t === 'map' && a.struct !== b.struct)) {
      out.push({ path, label: label || '(whole term)', change: 'changed', before: a.text, after: b.text });
      return;
    }
    const ac = childrenOf(a);
    const bc = childrenOf(b);
    const bByKey = new Map(bc.map((c) => [c.key, c]));
    const seen = new Set<string>();
    for (const c of ac) {
      seen.add(c.key);
      const other = bByKey.get(c.key);
      const step = stepLabel(c.label, c.key);
      if (!other) out.push({ path: join(path, c.key), label: label + step, change: 'removed', before: c.node.text });
      else walk(c.node, other.node, join(path, c.key), label + step);
      if (out.length >= max) return;
    }
    for (const c of bc)
      if (!seen.has(c.key) && out.length < max)
        out.push({ path: join(path, c.key), label: label + stepLabel(c.label, c.key), change: 'added', after: c.node.text });
  };
  walk(before, after, '', '');
  return out;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}/${key}`;
}

function stepLabel(label: string, key: string): string {
  if (label.endsWith(':')) return '.' + label.slice(0, -1);
  if (label.endsWith(' =>')) return `[${label.slice(0, -3)}]`;
  return key;
}

/** Every path that changed, and every ancestor of one, for highlighting in the tree. */
export function changedPaths(changes: TextChange[]): Set<string> {
  const s = new Set<string>();
  for (const c of changes) {
    const parts = c.path.split('/');
    for (let i = 1; i <= parts.length; i++) s.add(parts.slice(0, i).join('/'));
  }
  return s;
}
