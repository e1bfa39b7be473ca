/**
 * Files the installed app was opened with ("Open with otpscope" on a .zip,
 * a dbg .trace or a ttb .ti, declared as `file_handlers` in the manifest,
 * vite.config.ts): the browser hands them to `window.launchQueue`.
 * Browsers without the File Handling API have no launchQueue; nothing happens.
 */
interface LaunchParams {
  files?: readonly FileSystemHandle[];
}
interface LaunchQueue {
  setConsumer(consumer: (params: LaunchParams) => void | Promise<void>): void;
}

export function takeLaunchedFiles(onfiles: (files: File[]) => void | Promise<void>): void {
  const queue = (window as unknown as { launchQueue?: LaunchQueue }).launchQueue;
  queue?.setConsumer(async (params) => {
    const handles = (params.files ?? []).filter((h): h is FileSystemFileHandle => h.kind === 'file');
    if (handles.length > 0) await onfiles(await Promise.all(handles.map((h) => h.getFile())));
  });
}
