// The page creates the engine's worker in its first script (src/ui/engine-start.ts), not in its main bundle: the
// bundle (~150 kB and the chunks it imports) is read, compiled and linked before any of it runs, and the worker's
// thread, its entry and DuckDB's 27 MB wasm all waited for that. This plugin puts that module in a chunk of its own
// and gives the page an `async` module script for the chunk, ahead of the bundle's: it runs as soon as it has arrived
// (a deferred one would wait for the document's parsing and its style sheets). The bundle imports the same chunk (one
// module, evaluated once, by whichever runs first) and takes the worker. A file of our origin, so the site's CSP (src/site/csp.ts, `script-src
// 'self'`) allows it as it is.
import type { Plugin } from 'vite';

/** Vite plugin: the module `modulePath` gets a chunk named `name` of its own, run by an async script tag before the page's bundle. */
export function engineStart(modulePath: string, name = 'engine-start'): Plugin {
  return {
    name: 'otpscope-engine-start',
    apply: 'build',
    config(config) {
      if (config.build?.rollupOptions?.output !== undefined) throw new Error('otpscope-engine-start: build.rollupOptions.output is set elsewhere');
      // A chunk group, not a second entry: an entry the bundle also imports became an empty facade over a shared chunk.
      return { build: { rollupOptions: { output: { codeSplitting: { groups: [{ name, test: (id: string) => id === modulePath }] } } } } };
    },
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {}).filter((c) => c.type === 'chunk' && c.moduleIds.includes(modulePath));
        if (chunks.length !== 1 || chunks[0].type !== 'chunk' || chunks[0].moduleIds.length !== 1)
          throw new Error(`otpscope-engine-start: ${modulePath} is not in a chunk of its own`);
        const at = html.indexOf('<script type="module"');
        if (at < 0) throw new Error("otpscope-engine-start: the page's module script is missing");
        return `${html.slice(0, at)}<script type="module" async crossorigin src="./${chunks[0].fileName}"></script>\n    ${html.slice(at)}`;
      },
    },
  };
}
