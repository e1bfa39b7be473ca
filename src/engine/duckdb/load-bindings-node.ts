/**
 * DuckDB's native addon as `@duckdb/node-bindings` exports it, loaded in the bundled CLI's DuckDB thread in its
 * place (scripts/build-cli.mjs aliases the package to this module). The package picks the addon of the machine's
 * platform, and on Linux first asks detect-libc whether the C library is musl; that check and the package's own
 * CommonJS (read through Node's ESM loader) cost the thread ~25 ms of CPU before it could load DuckDB, on the path
 * every small command waits on. npm installs only the platform package whose `os`, `cpu` and `libc` match the
 * machine, so when exactly one build for this platform and architecture is installed, that is the one the package
 * would load; otherwise (several installed, or none) the package decides, as before.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function resolves(id: string): boolean {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

/** The addon's exports; Node loads an addon file once per thread, so a second call in a thread returns the first's. */
export function loadNodeBindings(): unknown {
  const target = `@duckdb/node-bindings-${process.platform}-${process.arch}`;
  const candidates = process.platform === 'linux' ? [target, `${target}-musl`] : [target];
  const installed = candidates.filter((c) => resolves(`${c}/package.json`));
  if (installed.length === 1) {
    try {
      return require(`${installed[0]}/duckdb.node`);
    } catch {
      // a build the machine cannot load: the package's own choice, and its error
    }
  }
  return require('@duckdb/node-bindings');
}
