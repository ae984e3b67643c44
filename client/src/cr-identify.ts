/**
 * dist/cr-identify.js: identify()'s normalisation and hashing, fetched by cr.js from beside itself
 * on the first identify() call (perhaps one page in a thousand), so that no other page pays for
 * it. It hands its one function to cr.js through `window.crIdentify`, which cr.js prepares
 * before loading it.
 */
import { identify, type Identify } from './hash.js'

const w = window as unknown as { crIdentify?: { push(fn: Identify): void } }
if (w.crIdentify) w.crIdentify.push(identify)
