import { looksLikeZip } from '../archive/otpscope/read-archive';

export interface InputFile {
  name: string;
  bytes: Uint8Array;
}

export interface InputGroup {
  kind: 'otpscope' | 'dbg' | 'ttb';
  /** A display name: the archive, the dbg file (or wrap set), or the ttb log. */
  name: string;
  files: InputFile[];
  bytes: number;
}

export interface InputError {
  file: string;
  offset: number;
  message: string;
}

/** A dbg / ttb trace-port frame starts with op 0 (term) or 1 (drop count), a 32-bit size and, for terms, the ETF version byte. */
export function looksLikeTracePort(bytes: Uint8Array): boolean {
  if (bytes.length < 5) return false;
  if (bytes[0] === 1) return true;
  return bytes[0] === 0 && bytes.length >= 6 && bytes[5] === 131;
}

/**
 * Sorts dropped files into sources: each otpscope archive alone; ttb logs
 * with the `.ti` file of the same base name; remaining trace-port files as
 * dbg traces (files of one wrap set, `<prefix><n><suffix>`, together).
 */
export function classifyInputs(files: InputFile[]): { groups: InputGroup[]; errors: InputError[] } {
  const groups: InputGroup[] = [];
  const errors: InputError[] = [];
  const tis = files.filter((f) => f.name.endsWith('.ti'));
  const ttb: InputFile[] = [...tis];
  const wrap = new Map<string, InputFile[]>();
  for (const f of files) {
    if (f.name.endsWith('.ti')) continue;
    if (looksLikeZip(f.bytes)) {
      groups.push({ kind: 'otpscope', name: f.name, files: [f], bytes: f.bytes.length });
    } else if (looksLikeTracePort(f.bytes)) {
      // With .ti files present this is a ttb upload: the ttb reader pairs logs with their .ti itself.
      if (tis.length > 0) {
        ttb.push(f);
        continue;
      }
      const m = /^(.*?)(\d+)(\.[^.\d]*)?$/.exec(f.name);
      const key = m ? `${m[1]}\u0000${m[3] ?? ''}` : f.name;
      let set = wrap.get(key);
      if (set === undefined) wrap.set(key, (set = []));
      set.push(f);
    } else {
      const head = Array.from(f.bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
      errors.push({
        file: f.name,
        offset: 0,
        message: `${f.name}: at offset 0: not a trace: expected an otpscope archive (zip, "PK\\3\\4") or a dbg/ttb trace-port frame (op 0 or 1, 32-bit size, ETF 131); found bytes ${head || '(empty file)'}`,
      });
    }
  }
  if (ttb.length > tis.length) {
    const logs = ttb.filter((f) => !f.name.endsWith('.ti'));
    groups.push({
      kind: 'ttb',
      name: logs.length === 1 ? logs[0].name : `${logs[0].name} (+${logs.length - 1} ttb logs)`,
      files: ttb,
      bytes: ttb.reduce((n, f) => n + f.bytes.length, 0),
    });
  } else if (tis.length > 0) {
    for (const ti of tis)
      errors.push({ file: ti.name, offset: 0, message: `${ti.name}: a ttb trace-info file without its trace log; drop the whole ttb upload folder` });
  }
  for (const set of wrap.values()) {
    const bytes = set.reduce((n, f) => n + f.bytes.length, 0);
    groups.push({ kind: 'dbg', name: set.length === 1 ? set[0].name : `${set[0].name} (+${set.length - 1} wrap files)`, files: set, bytes });
  }
  return { groups, errors };
}
