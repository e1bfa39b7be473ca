import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InputFile } from '../engine/engine';

/**
 * Reads the named files; a directory contributes every file in it (a ttb upload folder, a set of archives), and
 * a glob (`*`, `?`, `**`) every file it matches, in name order, so a day of a cluster's recordings is one argument.
 */
export async function readInputFiles(paths: string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (s === null && isGlob(p)) {
      const matches = await expandGlob(p);
      if (matches.length === 0) throw new CliError(`${p}: no file matches`);
      for (const m of matches) out.push({ name: m, bytes: new Uint8Array(await readFile(m)) });
      continue;
    }
    if (s === null) throw new CliError(`${p}: no such file or directory`);
    if (s.isDirectory()) {
      for (const name of (await readdir(p)).sort()) {
        const full = path.join(p, name);
        if ((await stat(full)).isFile()) out.push({ name: full, bytes: new Uint8Array(await readFile(full)) });
      }
    } else out.push({ name: p, bytes: new Uint8Array(await readFile(p)) });
  }
  return out;
}

function isGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** The files a glob matches: `*` and `?` within one path segment, `[abc]` classes, `**` for any number of folders. */
export async function expandGlob(pattern: string): Promise<string[]> {
  const absolute = path.isAbsolute(pattern);
  const segments = pattern.split(/[\\/]+/).filter((seg, i) => seg !== '' || (i === 0 && absolute));
  const found: string[] = [];
  const walk = async (dir: string, rest: string[]): Promise<void> => {
    if (rest.length === 0) return;
    const [seg, ...tail] = rest;
    const at = (name: string) => (dir === '' ? name : path.join(dir, name));
    if (!isGlob(seg)) {
      const next = at(seg);
      const s = await stat(next).catch(() => null);
      if (s === null) return;
      if (tail.length === 0) {
        if (s.isFile()) found.push(next);
      } else if (s.isDirectory()) await walk(next, tail);
      return;
    }
    const entries = await readdir(dir === '' ? '.' : dir, { withFileTypes: true }).catch(() => []);
    if (seg === '**') {
      await walk(dir, tail);
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await walk(at(e.name), rest);
      return;
    }
    const re = segmentRegExp(seg);
    for (const e of entries) {
      if (!re.test(e.name)) continue;
      if (tail.length === 0) {
        if (e.isFile()) found.push(at(e.name));
      } else if (e.isDirectory()) await walk(at(e.name), tail);
    }
  };
  await walk(absolute ? path.sep : '', absolute ? segments.slice(1) : segments);
  return [...new Set(found)].sort();
}

function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  // A leading dot is matched only by a pattern that names it, as in shells.
  return new RegExp(`^${seg.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
}

/** An error the CLI prints as one line, with a non-zero exit. */
export class CliError extends Error {}
