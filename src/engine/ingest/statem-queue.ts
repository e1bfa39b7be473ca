import { isAtom, isTuple, type Atom, type Term } from '../../archive/etf/term';
import { termEquals } from '../analyses/term-equals';

/**
 * The events a gen_statem runs before it reads its mailbox again, rebuilt from its callbacks' returns, so that a
 * callback handling one of them is not taken for one that took a message (docs/SCHEMA.md, `messages`):
 * - an event a callback postponed (`:postpone`, `{:postpone, true}`) left the mailbox when that callback took it, and
 *   comes back, in the order it came, once the state changes (`next_state` to another state; not `repeat_state`);
 * - an event a callback inserted (`{:next_event, type, content}`, also from `init`) never was a message: it runs
 *   next, before the postponed ones, in the order the actions list it.
 * gen_statem's loop does the same (gen_statem.erl, `loop_state_transition`): on a state change the queue starts with
 * the postponed events, oldest first, then the inserted ones go before them. State enter calls are no events of the
 * queue, and may neither postpone nor insert. A zero timeout's event is left out: timeouts take no message.
 */
export type QueuedEvent = 'postponed' | 'inserted';

export class StatemQueues {
  /** Per process (key: node + pid text): the events queued ahead of the mailbox, and those postponed (oldest first). */
  private readonly byProcess = new Map<string, { queued: Queued[]; postponed: Term[] }>();

  /** A callback was called with `event` (`{type, content}`): how it came from the queue; undefined: from the mailbox. */
  take(key: string, event: Term): QueuedEvent | undefined {
    const q = this.byProcess.get(key)?.queued;
    if (q === undefined || q.length === 0) return undefined;
    // The head, unless a callback of the queue went untraced: then the first equal event.
    const i = q.findIndex((e) => termEquals(e.event, event));
    if (i < 0) return undefined;
    return q.splice(i, 1)[0].how;
  }

  /** `init` returned `{:ok, state, data, actions}`: its inserted events run first. */
  started(key: string, actions: Term | undefined): void {
    this.byProcess.delete(key);
    const inserted = nextEvents(actions);
    if (inserted.length > 0) this.byProcess.set(key, { queued: inserted, postponed: [] });
  }

  /** The callback that ran `event` in state `before` returned `ret` (read by readStatemReturn; a stop forgets all). */
  returned(key: string, event: Term, before: Term, t: StatemReturn | undefined): void {
    if (t === undefined || t.stop) {
      this.byProcess.delete(key);
      return;
    }
    const inserted = nextEvents(t.actions);
    const postpone = postpones(t.actions);
    let p = this.byProcess.get(key);
    if (p === undefined) {
      if (inserted.length === 0 && !postpone) return;
      this.byProcess.set(key, (p = { queued: [], postponed: [] }));
    }
    if (postpone) p.postponed.push(event);
    if (t.state !== undefined && !termEquals(t.state, before) && p.postponed.length > 0) {
      p.queued = [...p.postponed.map((event): Queued => ({ event, how: 'postponed' })), ...p.queued];
      p.postponed = [];
    }
    if (inserted.length > 0) p.queued = [...inserted, ...p.queued];
  }

  /** The process ended, or its callback raised. */
  forget(key: string): void {
    this.byProcess.delete(key);
  }
}

/** What a gen_statem callback's return says: the state and data after (undefined: as they were), its actions, a stop. */
export interface StatemReturn {
  state: Term | undefined;
  data: Term | undefined;
  actions: Term | undefined;
  stop: boolean;
}

/** Reads any gen_statem return (`next_state`, `keep_state`, `repeat_state`, their `_and_data` forms, the stops); undefined for one it does not know. */
export function readStatemReturn(ret: Term): StatemReturn | undefined {
  const same = (actions: Term | undefined): StatemReturn => ({ state: undefined, data: undefined, actions, stop: false });
  if (isAtom(ret, 'keep_state_and_data') || isAtom(ret, 'repeat_state_and_data')) return same(undefined);
  if (!isTuple(ret) || !isAtom(ret.items[0])) return undefined;
  const it = ret.items;
  switch ((it[0] as Atom).name) {
    case 'next_state':
      return it.length >= 3 ? { state: it[1], data: it[2], actions: it[3], stop: false } : undefined;
    case 'keep_state':
    case 'repeat_state':
      return it.length >= 2 ? { state: undefined, data: it[1], actions: it[2], stop: false } : undefined;
    case 'keep_state_and_data':
    case 'repeat_state_and_data':
      return same(it[1]);
    case 'stop':
      return it.length >= 3 ? { state: undefined, data: it[2], actions: undefined, stop: true } : undefined;
    case 'stop_and_reply':
      return it.length >= 4 ? { state: undefined, data: it[3], actions: undefined, stop: true } : undefined;
    default:
      return undefined;
  }
}

/** Actions are a list or one action alone. */
const actionList = (actions: Term | undefined): Term[] => (actions === undefined ? [] : Array.isArray(actions) ? actions : [actions]);

interface Queued {
  event: Term;
  how: QueuedEvent;
}

function nextEvents(actions: Term | undefined): Queued[] {
  const out: Queued[] = [];
  for (const a of actionList(actions))
    if (isTuple(a, 3) && isAtom(a.items[0], 'next_event')) out.push({ event: { t: 'tuple', items: [a.items[1], a.items[2]] }, how: 'inserted' });
  return out;
}

function postpones(actions: Term | undefined): boolean {
  return actionList(actions).some((a) => isAtom(a, 'postpone') || (isTuple(a, 2) && isAtom(a.items[0], 'postpone') && isAtom(a.items[1], 'true')));
}
