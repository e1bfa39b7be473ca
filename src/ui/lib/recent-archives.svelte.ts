/**
 * Archives the user opened, kept in this browser (IndexedDB, this origin
 * only) to reopen with one click from the start page: each load's files
 * together, with their total size and when they were opened. The start page
 * says so and offers to forget one or all, or to keep nothing. A full disk
 * or quota is reported in `error`, never thrown: the archive is still loaded.
 */
export interface RecentEntry {
  /** The files' names joined with `+`: how the URL hash names the loaded archive. */
  id: string;
  names: string[];
  size: number;
  openedAt: number;
}
interface Stored extends RecentEntry {
  files: File[];
}

const DB = 'otpscope';
const STORE = 'recent-archives';
const KEEP = 'otpscope.keepRecent';
const MAX = 10;

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
}

function openDb(): Promise<IDBDatabase> {
  const r = indexedDB.open(DB, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'id' });
  return request(r);
}

/** What went wrong, in words a user can act on. */
function why(e: unknown): string {
  const name = e instanceof DOMException ? e.name : '';
  if (name === 'QuotaExceededError') return 'the browser has no more storage for this site (QuotaExceededError)';
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export class RecentArchives {
  entries = $state.raw<RecentEntry[]>([]);
  /** The last storage failure, for the start page (null when none). */
  error = $state<string | null>(null);
  keep = $state(true);

  constructor() {
    try {
      this.keep = localStorage.getItem(KEEP) !== 'no';
    } catch {
      // no localStorage: keep the default
    }
  }

  async refresh(): Promise<void> {
    try {
      const db = await openDb();
      const all = await request(db.transaction(STORE).objectStore(STORE).getAll() as IDBRequest<Stored[]>);
      db.close();
      this.entries = all.map(({ id, names, size, openedAt }) => ({ id, names, size, openedAt })).sort((a, b) => b.openedAt - a.openedAt);
    } catch (e) {
      this.error = `Recent archives could not be read: ${why(e)}.`;
    }
  }

  /** Keeps the files of one load (unless the user said not to); the oldest beyond ten are dropped. */
  async remember(files: File[]): Promise<void> {
    if (!this.keep || files.length === 0) return;
    const names = files.map((f) => f.name);
    const entry: Stored = { id: names.join('+'), names, size: files.reduce((n, f) => n + f.size, 0), openedAt: Date.now(), files };
    try {
      const db = await openDb();
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(entry);
      await done(tx);
      db.close();
      this.error = null;
    } catch (e) {
      this.error = `${entry.id} is loaded but could not be kept in this browser: ${why(e)}. Forget older archives to make room.`;
    }
    await this.refresh();
    for (const old of this.entries.slice(MAX)) await this.forget(old.id);
  }

  /** The files of a kept load, or null (with `error` set) when they are gone. */
  async open(id: string): Promise<File[] | null> {
    try {
      const db = await openDb();
      const stored = await request(db.transaction(STORE).objectStore(STORE).get(id) as IDBRequest<Stored | undefined>);
      db.close();
      if (stored) return stored.files;
      this.error = `${id} is no longer kept in this browser.`;
    } catch (e) {
      this.error = `${id} could not be read back: ${why(e)}.`;
    }
    await this.refresh();
    return null;
  }

  async forget(id: string): Promise<void> {
    await this.#write((s) => s.delete(id));
  }

  async forgetAll(): Promise<void> {
    await this.#write((s) => s.clear());
  }

  setKeep(keep: boolean): void {
    this.keep = keep;
    try {
      localStorage.setItem(KEEP, keep ? 'yes' : 'no');
    } catch {
      // the choice lasts for this visit
    }
  }

  async #write(change: (s: IDBObjectStore) => void): Promise<void> {
    try {
      const db = await openDb();
      const tx = db.transaction(STORE, 'readwrite');
      change(tx.objectStore(STORE));
      await done(tx);
      db.close();
      this.error = null;
    } catch (e) {
      this.error = `Recent archives could not be changed: ${why(e)}.`;
    }
    await this.refresh();
  }
}
