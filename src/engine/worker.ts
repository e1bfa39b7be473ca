/// <reference lib="webworker" />
/**
 * The engine worker: DuckDB-WASM (blocking bindings, in this thread) plus the
 * readers, exposed to the UI with comlink. Its API is `EngineApi` (./api).
 */
// First, before any other module runs: no request may leave the page's origin from this worker.
import './same-origin-guard';
import { expose } from 'comlink';
import { openBrowserDuckDb } from './duckdb/open-browser';
import { Engine } from './engine';
import { createEngineApi } from './api';

expose(createEngineApi(() => openBrowserDuckDb().then((db) => Engine.create(db, { disk: db.disk }))));
