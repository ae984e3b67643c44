// Builds the on-page script: client/src/index.ts -> dist/cr.js, one minified IIFE with js-cookie inlined.
import typescript from '@rollup/plugin-typescript'
import terser from '@rollup/plugin-terser'
import { nodeResolve } from '@rollup/plugin-node-resolve'

export default {
  input: 'client/src/index.ts',
  output: {
    file: 'dist/cr.js',
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
