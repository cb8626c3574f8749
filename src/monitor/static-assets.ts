/**
 * The dashboard's files: our page, styles and scripts from ./assets, and uPlot from node_modules.
 * Everything is served from this process, so the page works with no internet. The list is fixed:
 * a URL names one of these files or nothing (no path joins, so no path traversal).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One file, ready to send. */
export interface StaticAsset {
  contentType: string;
  body: Buffer;
}

const assetsDir = join(import.meta.dirname, 'assets');
const uplotDist = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** URL path -> file on disk. */
const files: Record<string, string> = {
  '/': join(assetsDir, 'index.html'),
  '/assets/dashboard.css': join(assetsDir, 'dashboard.css'),
  '/assets/dashboard.js': join(assetsDir, 'dashboard.js'),
  '/assets/charts.js': join(assetsDir, 'charts.js'),
  '/assets/panels.js': join(assetsDir, 'panels.js'),
  '/assets/format.js': join(assetsDir, 'format.js'),
  '/assets/uPlot.esm.js': join(uplotDist, 'uPlot.esm.js'),
  '/assets/uPlot.min.css': join(uplotDist, 'uPlot.min.css'),
};

/**
 * Reads every file once, at startup: a missing file fails the start, not a page load, and a
 * request costs no disk access.
 */
export async function loadStaticAssets(): Promise<Map<string, StaticAsset>> {
  const loaded = new Map<string, StaticAsset>();
  for (const [path, file] of Object.entries(files)) {
    const extension = file.slice(file.lastIndexOf('.'));
    loaded.set(path, { contentType: contentTypes[extension] ?? 'application/octet-stream', body: await readFile(file) });
  }
  return loaded;
}
