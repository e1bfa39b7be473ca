import type { Engine, LoadReport } from '../engine/engine';
import { CliError } from './load-files';

/** `otpscope export FILE... --parquet DIR` (native DuckDB writes the Parquet files). */
export async function exportParquet(_args: string[], _load: (files: string[]) => Promise<{ engine: Engine; report: LoadReport }>): Promise<number> {
  throw new CliError('export: not implemented yet');
}
