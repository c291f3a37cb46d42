/**
 * V8's optimizing compilers (Maglev, TurboFan) off from here on: code runs in the interpreter and the
 * baseline compiler, and the heap is kept small. An extension's memory counts toward the function's,
 * and most of its code runs rarely. Measured (bench/): cache extension with 1,000 items RSS 112 →
 * 74 MB, each hit about 0.09 ms slower (so it is opt-in there, CACHE_EXTENSION_LOW_MEMORY); logs
 * extension RSS 85 → 70 MB, Max Memory Used 108 → 95 MB, throughput within noise (on by default,
 * LOGS_LOW_MEMORY).
 *
 * Called after start-up, never given as node flags: flags given at start make Node compile its own
 * modules from source (its built-in code cache is only valid for the default flags), which costs
 * start-up time.
 */
export function useLowMemoryCompilers(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString(
    '--no-turbofan --no-maglev --optimize-for-size',
  );
}
