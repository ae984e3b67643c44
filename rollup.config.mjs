// Builds the on-page scripts, each one minified IIFE in dist/: cr.js (client/src/index.ts, with
// js-cookie inlined) and the add-ons cr.js loads from beside itself only when its tag asks for
// them: cr-shopify.js (data-platform="shopify") and cr-stripe-links.js (data-stripe-links).
import typescript from '@rollup/plugin-typescript'
import terser from '@rollup/plugin-terser'
import { nodeResolve } from '@rollup/plugin-node-resolve'

/** Source entry -> file in dist/. scripts/size.mjs gives each a gzip budget; scripts/check-dist.mjs rebuilds and compares each. */
export const SCRIPTS = [
  { input: 'client/src/index.ts', file: 'dist/cr.js' },
  { input: 'client/src/cr-shopify.ts', file: 'dist/cr-shopify.js' },
  { input: 'client/src/cr-stripe-links.ts', file: 'dist/cr-stripe-links.js' },
  { input: 'client/src/cr-identify.ts', file: 'dist/cr-identify.js' },
]

function script({ input, file }) {
  return {
    input,
    output: {
      file,
      format: 'iife',
      // No "use strict" prologue: the TypeScript is strict-checked, and 13 bytes on every page matter.
      strict: false,
      // No banner with dates or versions: dist/ is committed and must rebuild byte for byte.
      plugins: [
        terser({
          ecma: 2017,
          compress: { passes: 3, unsafe: true, unsafe_arrows: true, unsafe_methods: true, pure_getters: true },
          mangle: { toplevel: true },
          format: { comments: false },
        }),
      ],
    },
    plugins: [
      nodeResolve({ browser: true }),
      typescript({ tsconfig: 'client/tsconfig.json', noEmit: false, outDir: undefined, declaration: false, sourceMap: false }),
    ],
  }
}

export default SCRIPTS.map(script)
