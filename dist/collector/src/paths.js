import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
/** The package root, found by walking up from this module: the same from collector/src (tsx) and build/collector/src (compiled). */
function findRoot() {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, 'package.json'))) {
        const parent = dirname(dir);
        if (parent === dir)
            throw new Error('clickrelay: package.json not found above ' + fileURLToPath(import.meta.url));
        dir = parent;
    }
    return dir;
}
export const ROOT = findRoot();
export const SQL_DIR = join(ROOT, 'collector', 'sql');
export const SCRIPT_FILE = join(ROOT, 'dist', 'cr.js');
/** The dashboard's templates, stylesheet and chart script: files the collector reads, beside collector/sql (and in the npm package). */
export const DASHBOARD_VIEWS = join(ROOT, 'collector', 'dashboard', 'views');
export const DASHBOARD_ASSETS = join(ROOT, 'collector', 'dashboard', 'assets');
export const DASHBOARD_STYLESHEET = join(DASHBOARD_ASSETS, 'dashboard.css');
/** uPlot's browser build, served by the collector itself (never a CDN): the Overview's chart. */
export const UPLOT_DIST = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
