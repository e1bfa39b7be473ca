import { atom, isAtom, isTuple, type Term } from '../../archive/etf/term';
import type { EventKind, Mfa } from '../../archive/trace-event';
import { readStatemReturn, StatemQueues, type QueuedEvent } from './statem-queue';

/**
 * Derives GenServer / gen_statem states from callback call and return events
 * (docs/FORMAT.md: the recorder call-traces the behaviour callbacks and does
 * nothing else on the node). The state before a callback is its last
 * argument; the state after is read from the return value's shape.
 */
/** What the tracker reads of an event (a TraceEvent is one; ingest of columns reuses one such object). */
export interface CallbackEvent {
  kind: EventKind;
  mfa?: Mfa;
  term?: Term;
}

export interface StateRow {
  /** `handle_call`, `init`, ... or the gen_statem state function name. */
  callback: string;
  /** The message (or init argument) the callback handled; undefined for terminate. */
  message: Term | undefined;
  state: Term;
  /** A gen_statem event its own queue held, not a message: one it postponed and ran again, or one a callback inserted. */
  queued: QueuedEvent | undefined;
  /**
   * An init return either behaviour could have given, \`{:ok, x, y}\` with a \`y\` that a gen_server reads as its
   * timeout or action (a number, \`:infinity\`, \`:hibernate\`, \`{:continue, _}\`): \`state\` is the gen_server's
   * reading (\`x\`), this the gen_statem's (\`{x, y}\`: state \`x\`, data \`y\`, a counter starting at 0). The process's
   * next callback tells which (\`runsStatemEvent\`, \`settleInit\`).
   */
  statem?: Term;
}

const GEN_SERVER_CALLBACKS: Record<string, number> = {
  init: 1,
  handle_call: 3,
  handle_cast: 2,
  handle_info: 2,
  handle_continue: 2,
  terminate: 2,
  code_change: 3,
};

interface Pending {
  fn: string;
  args: Term[];
  /** A gen_statem event its own queue held (postponed, or inserted with `next_event`): no mailbox message. */
  queued: QueuedEvent | undefined;
}

export class CallbackStateTracker {
  /** Per process (key: node + pid text): the callbacks entered and not yet returned. */
  private readonly stacks = new Map<string, Pending[]>();
  /** Last known gen_statem state name per process, for `keep_state` returns. */
  private readonly statemState = new Map<string, Term>();
  /** The events each gen_statem runs before its mailbox. */
  private readonly queues = new StatemQueues();

  /**
   * Whether the callback just called (the last call event fed to \`observe\`) runs a gen_statem event its queue held,
   * postponed or inserted, rather than a message it took from the mailbox.
   */
  calledFromQueue(key: string): boolean {
    const stack = this.stacks.get(key);
    return stack !== undefined && stack.length > 0 && stack[stack.length - 1].queued !== undefined;
  }

  /** Feed every call/return/exception event in order; returns a state row when a callback produced one. */
  observe(ev: CallbackEvent, key: string): StateRow | undefined {
    if (ev.mfa === undefined) return undefined;
    const fn = ev.mfa[1].name;
    const arity = ev.mfa[2];
    if (!isCallback(fn, arity)) return undefined;
    if (ev.kind === 'call') {
      const args = Array.isArray(ev.term) ? (ev.term as Term[]) : [];
      if (!(fn in GEN_SERVER_CALLBACKS) && !isStatemEventType(args[0])) return undefined;
      let stack = this.stacks.get(key);
      if (stack === undefined) this.stacks.set(key, (stack = []));
      const event = fn in GEN_SERVER_CALLBACKS || isAtom(args[0], 'enter') ? undefined : tuple(args[0], args[1]);
      stack.push({ fn, args, queued: event === undefined ? undefined : this.queues.take(key, event) });
      return undefined;
    }
    if (ev.kind !== 'return' && ev.kind !== 'exception') return undefined;
    const stack = this.stacks.get(key);
    const pending = stack !== undefined && stack.length > 0 ? stack[stack.length - 1] : undefined;
    if (pending === undefined || pending.fn !== fn) return undefined;
    stack!.pop();
    if (ev.kind === 'exception' || ev.term === undefined) {
      if (stack!.length === 0) this.queues.forget(key);
      return undefined;
    }
    return this.stateAfter(key, pending, ev.term);
  }

  /** An init return read as a gen_statem's after all (see \`StateRow.statem\`): the state name for \`keep_state\` returns. */
  settleInit(key: string, row: StateRow): void {
    if (row.statem !== undefined && isTuple(row.statem, 2)) this.statemState.set(key, row.statem.items[0]);
  }

  private stateAfter(key: string, p: Pending, ret: Term): StateRow | undefined {
    const { fn, args, queued } = p;
    const row = (state: Term, message: Term | undefined): StateRow => ({ callback: fn, message, state, queued });
    if (fn === 'init') {
      if (!isTuple(ret) || !isAtom(ret.items[0], 'ok')) return undefined;
      const it = ret.items;
      if (it.length === 2) return row(it[1], args[0]);
      // gen_server: {:ok, S, timeout | :hibernate | {:continue, _}}; gen_statem: {:ok, StateName, Data[, Actions]}
      if (it.length === 3 && isGenServerExtra(it[2])) return { ...row(it[1], args[0]), statem: tuple(it[1], it[2]) };
      if (it.length >= 3) {
        this.statemState.set(key, it[1]);
        this.queues.started(key, it[3]);
        return row(tuple(it[1], it[2]), args[0]);
      }
      return undefined;
    }
    if (fn === 'terminate') return undefined;
    if (fn === 'code_change') {
      if (isTuple(ret, 2) && isAtom(ret.items[0], 'ok')) return row(ret.items[1], args[0]);
      // gen_statem code_change returns {:ok, NewState, NewData}
      if (isTuple(ret, 3) && isAtom(ret.items[0], 'ok')) return row(tuple(ret.items[1], ret.items[2]), args[0]);
      return undefined;
    }
    if (fn in GEN_SERVER_CALLBACKS) {
      const s = genServerState(ret);
      return s === undefined ? undefined : row(s, args[0]);
    }
    // gen_statem: handle_event(type, content, state, data) or StateName(type, content, data)
    const before = fn === 'handle_event' ? args[2] : atom(fn);
    const data = fn === 'handle_event' ? args[3] : args[2];
    const message = tuple(args[0], args[1]);
    const r = readStatemReturn(ret);
    if (!isAtom(args[0], 'enter')) this.queues.returned(key, message, before, r);
    if (r === undefined) return undefined;
    const s = tuple(r.state ?? this.statemState.get(key) ?? before, r.data ?? data);
    this.statemState.set(key, s.items[0]);
    return row(s, message);
  }
}

/**
 * The mailbox message a callback call handles, rebuilt from its arguments:
 * `handle_call(req, from, s)` took `{:"$gen_call", from, req}`,
 * `handle_cast(req, s)` took `{:"$gen_cast", req}`, `handle_info(msg, s)`
 * took `msg`; gen_statem `{:call, from}` / `:cast` / `:info` events likewise.
 * Undefined for callbacks that take nothing from the mailbox (init,
 * handle_continue, internal and timeout events).
 */
export function mailboxMessage(ev: CallbackEvent): Term | undefined {
  if (ev.kind !== 'call' || ev.mfa === undefined || !Array.isArray(ev.term)) return undefined;
  const fn = ev.mfa[1].name;
  const arity = ev.mfa[2];
  const args = ev.term as Term[];
  if (fn === 'handle_call' && arity === 3) return tuple(atom('$gen_call'), args[1], args[0]);
  if (fn === 'handle_cast' && arity === 2) return tuple(atom('$gen_cast'), args[0]);
  if (fn === 'handle_info' && arity === 2) return args[0];
  if (fn in GEN_SERVER_CALLBACKS || !isCallback(fn, arity) || !isStatemEventType(args[0])) return undefined;
  const type = args[0];
  const content = args[1];
  if (isTuple(type, 2) && isAtom(type.items[0], 'call')) return tuple(atom('$gen_call'), type.items[1], content);
  if (isAtom(type, 'cast')) return tuple(atom('$gen_cast'), content);
  if (isAtom(type, 'info')) return content;
  return undefined;
}

/** Whether a callback call runs a gen_statem event (a state function, \`handle_event/4\`), not a gen_server callback. */
export function runsStatemEvent(ev: CallbackEvent): boolean {
  if (ev.kind !== 'call' || ev.mfa === undefined || !Array.isArray(ev.term)) return false;
  const fn = ev.mfa[1].name;
  return !(fn in GEN_SERVER_CALLBACKS) && isCallback(fn, ev.mfa[2]) && isStatemEventType((ev.term as Term[])[0]);
}

function isCallback(fn: string, arity: number): boolean {
  const expected = GEN_SERVER_CALLBACKS[fn];
  if (expected !== undefined) return expected === arity || (fn === 'terminate' && arity === 3) || (fn === 'code_change' && arity === 4);
  return (fn === 'handle_event' && arity === 4) || arity === 3;
}

const STATEM_EVENT_TYPES = new Set(['enter', 'cast', 'info', 'timeout', 'state_timeout', 'internal']);

/** gen_statem calls its state callbacks with an event type first; that tells them from other arity-3/4 functions. */
function isStatemEventType(x: Term | undefined): boolean {
  if (x === undefined) return false;
  if (isAtom(x)) return STATEM_EVENT_TYPES.has(x.name);
  return isTuple(x, 2) && (isAtom(x.items[0], 'call') || isAtom(x.items[0], 'timeout'));
}

function isGenServerExtra(x: Term): boolean {
  return typeof x === 'number' || isAtom(x, 'infinity') || isAtom(x, 'hibernate') || (isTuple(x, 2) && isAtom(x.items[0], 'continue'));
}

function genServerState(ret: Term): Term | undefined {
  if (!isTuple(ret) || !isAtom(ret.items[0])) return undefined;
  const [tag, ...rest] = ret.items;
  switch ((tag as { name: string }).name) {
    case 'reply':
      return rest.length >= 2 ? rest[1] : undefined;
    case 'noreply':
      return rest[0];
    case 'stop':
      return rest.length === 3 ? rest[2] : rest[1];
    default:
      return undefined;
  }
}

function tuple(...items: Term[]): { t: 'tuple'; items: Term[] } {
  return { t: 'tuple', items };
}
