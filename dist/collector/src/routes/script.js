/** GET /cr.js: the built on-page script (public). Cached for an hour by browsers and CDNs, revalidated by ETag. */
import { Router } from 'express';
import { readFileSync } from 'node:fs';
import { SCRIPT_FILE } from '../paths.js';
export function scriptRouter() {
    const router = Router();
    const script = readFileSync(SCRIPT_FILE);
    router.get('/cr.js', (_req, res) => {
        res.type('application/javascript; charset=utf-8').set('Cache-Control', 'public, max-age=3600').send(script);
    });
    return router;
}
