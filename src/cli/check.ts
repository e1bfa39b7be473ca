import type { Engine, LoadReport } from '../engine/engine';
import { CliError } from './load-files';

/** `otpscope check FILE... --expect EXPECTATIONS.sql`: runs expectations, exits non-zero on failure. */
export async function check(_args: string[], _load: (files: string[]) => Promise<{ engine: Engine; report: LoadReport }>): Promise<number> {
  throw new CliError('check: not implemented yet');
}
