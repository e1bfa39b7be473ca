import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InputFile } from '../engine/engine';

/** Reads the named files; a directory contributes every file in it (a ttb upload folder, a set of archives). */
export async function readInputFiles(paths: string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
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

/** An error the CLI prints as one line, with a non-zero exit. */
export class CliError extends Error {}
