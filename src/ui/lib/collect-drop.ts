/**
 * The files of a drop: plain files as they are; folders (a ttb upload
 * folder, a directory of several nodes' archives) walked recursively, each
 * file named by its path inside the drop so readers can pair `.ti` and logs.
 */
export async function collectDrop(dt: DataTransfer): Promise<File[]> {
  const entries = Array.from(dt.items ?? [])
    .map((i) => (i.kind === 'file' ? i.webkitGetAsEntry?.() : null))
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0 || entries.every((e) => e.isFile)) return Array.from(dt.files);
  const out: File[] = [];
  async function walk(e: FileSystemEntry, prefix: string): Promise<void> {
    if (e.isFile) {
      const f = await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej));
      out.push(new File([f], prefix + f.name));
    } else if (e.isDirectory) {
      const reader = (e as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const c of batch) await walk(c, `${prefix}${e.name}/`);
      }
    }
  }
  for (const e of entries) await walk(e, '');
  return out;
}
