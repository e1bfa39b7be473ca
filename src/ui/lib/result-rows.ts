import type { QueryResult } from '../../engine/result';
import { big, num } from './cells';
import type { Session } from './session.svelte';

/**
 * Rows of a result the user wrote (the SQL console, expectations), read as
 * references into the trace: a column naming a seq selects that event in
 * every view, a column naming a pid selects that process, a time column
 * moves the cursor. Columns are recognised by the schema's names
 * (docs/SCHEMA.md), first match wins.
 */
const SEQ = ['seq', 'call_seq', 'send_seq', 'recv_seq', 'reply_seq', 'consumed_seq', 'end_seq', 'request_recv_seq', 'reply_recv_seq', 'cause_seq'];
const PID = [
  ['pid', 'node'],
  ['caller_pid', 'caller_node'],
  ['from_pid', 'from_node'],
  ['to_pid', 'to_node'],
  ['callee_pid', 'callee_node'],
] as const;
const TIME = /^(ts|t|.+_at)$/;

type Row = QueryResult['rows'][number];

/** Does this result have a column that selects something? (Rows are then clickable.) */
export function rowsSelect(r: QueryResult): boolean {
  return r.columns.some((c) => SEQ.includes(c.name) || PID.some(([p]) => p === c.name) || TIME.test(c.name));
}

/** The seq a row names, if any (for highlighting the selected event's rows). */
export function rowSeq(r: QueryResult, row: Row): number | null {
  for (const name of SEQ) {
    const i = r.columns.findIndex((c) => c.name === name);
    if (i >= 0 && row[i] !== null) return num(row[i]);
  }
  return null;
}

/** Selects what `row` names: its event (with time and process looked up when the row lacks them), else its process, else its instant. */
export async function selectRow(session: Session, r: QueryResult, row: Row): Promise<void> {
  const at = (n: string) => {
    const i = r.columns.findIndex((c) => c.name === n);
    return i >= 0 ? row[i] : null;
  };
  const pidCols = PID.find(([p]) => at(p) !== null);
  const proc = pidCols ? { node: String(at(pidCols[1]) ?? ''), pid: String(at(pidCols[0])) } : null;
  const timeCol = r.columns.find((c) => TIME.test(c.name) && at(c.name) !== null);
  const ts = timeCol ? big(at(timeCol.name)) : null;
  const seq = rowSeq(r, row);
  if (seq !== null) {
    const place = await session.bridge.views.eventPlace(seq);
    if (place) {
      session.selectEvent(place.seq, place.ts, place.pid ? { node: place.node, pid: place.pid } : (proc ?? undefined));
      return;
    }
  }
  if (proc) {
    // A pid without its node column: the node of the process with that pid.
    session.selectedSeq = null;
    session.selectProcess(proc.node ? proc : { node: await nodeOf(session, proc.pid), pid: proc.pid });
  }
  if (ts !== null) session.setCursor(ts);
}

async function nodeOf(session: Session, pid: string): Promise<string> {
  const list = await session.bridge.views.processList();
  return list.find((p) => p.pid === pid)?.node ?? '';
}

/** Is column `i` a time (ns since the epoch, inside the trace's span give or take its length)? */
export function isTimeColumn(r: QueryResult, i: number, span: { start: bigint; end: bigint } | null): boolean {
  if (!span || !TIME.test(r.columns[i].name)) return false;
  const len = span.end - span.start;
  const first = r.rows.find((row) => row[i] !== null)?.[i];
  const v = first === undefined ? null : big(first);
  return v !== null && v >= span.start - len - 1n && v <= span.end + len + 1n;
}
