/**
 * The two ways ClickRelay leaves this repository, tried as their users do, from clean folders:
 * an operator's production install (`npm ci --omit=dev`, then `npm start`, no compiler), and a
 * merchant's backend installing the `npm pack` tarball to `import { postOrder } from
 * 'clickrelay/sign'`. Both run what is in dist/, so a stale or broken committed build fails
 * here. Slow: each install compiles better-sqlite3 (about a minute), so the two run side by
 * side, from npm's cache where it can. `npm run test:install`.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { verifySignature, SIGNATURE_HEADER } from '../../src/sign.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const lockfile = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
const MINUTES = 60_000

/** The environment of a fresh shell: nothing from the `npm run` this test may be running under, no collector settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_package_|npm_lifecycle_|CLICKRELAY_)/.test(key)) continue
    if (['npm_config_local_prefix', 'npm_command', 'INIT_CWD', 'NODE_OPTIONS', 'NODE_ENV', 'PORT'].includes(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

interface Run {
  stdout: string
  /** stdout and stderr as they came. */
  output: string
  ms: number
}

/** Runs a command without blocking the event loop (the two installs run side by side); throws with its output when it fails. */
function run(command: string, args: string[], cwd: string, env = cleanEnv()): Promise<Run> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, output, ms: Date.now() - started })
      else reject(new Error(`\`${command} ${args.join(' ')}\` in ${cwd} exited with ${code}:\n${output}`))
    })
  })
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** `npm start` in `cwd`, in a process group of its own so that npm, its shell and node all get the SIGTERM. */
async function startCollector(cwd: string, env: Record<string, string>): Promise<{ url: string; output(): string; stop(): Promise<void> }> {
  const port = await freePort()
  const child: ChildProcess = spawn('npm', ['start'], { cwd, env: cleanEnv({ ...env, PORT: String(port), CLICKRELAY_HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk))
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
  let exited = false
  void closed.then(() => (exited = true))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited) throw new Error(`npm start exited before /healthz answered:\n${output}`)
    const status = await fetch(url + '/healthz').then((r) => r.status, () => 0)
    if (status === 200) break
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL')
      throw new Error(`GET /healthz did not answer 200 within 30 s (last: ${status}):\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (!exited) process.kill(-child.pid!, 'SIGTERM')
      const timeout = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000)
      await closed
      clearTimeout(timeout)
    },
  }
}

/** What a fresh clone of the working tree would hold: tracked files that still exist, and untracked files git does not ignore. */
function copyWorkingTree(to: string): number {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(listed.status, 0, listed.stderr)
  let copied = 0
  for (const path of listed.stdout.split('\0')) {
    if (!path || !existsSync(join(ROOT, path))) continue
    mkdirSync(dirname(join(to, path)), { recursive: true })
    copyFileSync(join(ROOT, path), join(to, path))
    copied++
  }
  return copied
}

let work: string
before(() => {
  work = mkdtempSync(join(tmpdir(), 'clickrelay-install-'))
})
after(() => rmSync(work, { recursive: true, force: true }))

describe('installs from clean folders', { concurrency: 2 }, () => {
  test('a merchant backend installs the npm pack tarball and signs orders with clickrelay/sign', { timeout: 10 * MINUTES }, async (t) => {
    const packDir = join(work, 'pack')
    mkdirSync(packDir)
    const pack = await run('npm', ['pack', '--json', '--pack-destination', packDir], ROOT)
    const [tarball] = JSON.parse(pack.stdout) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>
    assert.ok(tarball)
    const files = tarball.files.map((f) => f.path)
    t.diagnostic(`tarball ${tarball.filename}: ${files.length} files, ${(tarball.size / 1024).toFixed(1)} kB (${(tarball.unpackedSize / 1024).toFixed(1)} kB unpacked)`)

    const needed = [
      'package.json',
      'README.md',
      'dist/cr.js',
      'dist/collector/src/main.js',
      'dist/collector/src/sign.js',
      'dist/collector/src/sign.d.ts',
      'dist/common/event-id.js',
      'client/clickrelay.d.ts',
      'collector/public/sandbox-pixel.js',
      'collector/dashboard/views/layout.eta',
      'collector/dashboard/assets/dashboard.css',
      'collector/dashboard/assets/overview.js',
      'scripts/start.mjs',
      'scripts/build-collector.mjs',
      'deploy/clickrelay.service',
      'deploy/clickrelay.env.example',
      ...readdirSync(join(ROOT, 'collector', 'sql')).map((name) => `collector/sql/${name}`),
    ]
    assert.deepEqual(needed.filter((path) => !files.includes(path)), [], 'files missing from the tarball')
    const unwanted = files.filter((path) => /(^|\/)test\/|\.test\.|\.spec\.|^(e2e|bench|client\/src|collector\/src|common)\/|\.ts$/.test(path) && !path.endsWith('.d.ts'))
    assert.deepEqual(unwanted, [], 'tests and sources do not belong in the tarball')

    const backend = join(work, 'merchant-backend')
    mkdirSync(backend)
    writeFileSync(join(backend, 'package.json'), JSON.stringify({ name: 'merchant-backend', private: true, type: 'module' }))
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, tarball.filename)], backend)
    t.diagnostic(`npm install <tarball> into an empty folder: ${seconds(install.ms)} (compiles better-sqlite3, a dependency of the collector)`)

    // Every file package.json's exports names is in the installed package.
    const installed = join(backend, 'node_modules', 'clickrelay')
    const { exports } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }
    for (const [subpath, targets] of Object.entries(exports)) {
      for (const [condition, target] of Object.entries(targets)) assert.ok(existsSync(join(installed, target)), `exports["${subpath}"].${condition}: ${target} is not in the package`)
    }

    // The merchant's code, as the README shows it, posting an order to a stand-in collector.
    const secret = 'merchant-order-secret-0123456789'
    writeFileSync(
      join(backend, 'report-order.mjs'),
      `import { postOrder, signBody, verifySignature } from 'clickrelay/sign'
const [collectorUrl, secret] = process.argv.slice(2)
const body = '{"order_key":"A-1001"}'
const now = Math.floor(Date.now() / 1000)
const own = verifySignature(secret, signBody(secret, body), new TextEncoder().encode(body), now)
const answer = await postOrder(collectorUrl, secret, { order_key: 'A-1001', value: 42.5, currency: 'EUR' })
console.log(JSON.stringify({ own, answer }))
`,
    )
    const received: Array<{ url: string | undefined; header: string | undefined; body: Buffer }> = []
    const standIn = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push({ url: req.url, header: req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, body: Buffer.concat(chunks) })
        res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"accepted"}')
      })
    })
    await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = standIn.address() as AddressInfo
      const result = await run(process.execPath, ['report-order.mjs', `http://127.0.0.1:${port}`, secret], backend)
      const { own, answer } = JSON.parse(result.stdout) as { own: { ok: boolean }; answer: { status: number; body: unknown } }
      assert.deepEqual(own, { ok: true })
      assert.deepEqual(answer, { status: 202, body: { status: 'accepted' } })
    } finally {
      standIn.close()
    }
    // The collector's own verification (from source) accepts what the installed package signed.
    assert.equal(received.length, 1)
    assert.equal(received[0]!.url, '/orders')
    assert.deepEqual(JSON.parse(received[0]!.body.toString()), { order_key: 'A-1001', value: 42.5, currency: 'EUR' })
    assert.deepEqual(verifySignature(secret, received[0]!.header, received[0]!.body, Math.floor(Date.now() / 1000)), { ok: true })
    assert.equal(verifySignature('another-secret-0123456789', received[0]!.header, received[0]!.body, Math.floor(Date.now() / 1000)).ok, false)

    // TypeScript finds the export's types through the same exports map.
    writeFileSync(
      join(backend, 'typed.ts'),
      `import { postOrder, type Verification } from 'clickrelay/sign'
export const answer: Promise<{ status: number; body: unknown }> = postOrder('https://shop.example', 'secret', {})
export const failed: Verification = { ok: false, reason: 'x' }
`,
    )
    const compilerOptions = { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [] }
    writeFileSync(join(backend, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed.ts'] }))
    await run(process.execPath, [TSC, '-p', '.'], backend)
  })

  test('npm ci --omit=dev on a clean copy, then npm start, runs the committed collector build with no dev dependency', { timeout: 10 * MINUTES }, async (t) => {
    const app = join(work, 'app')
    const copied = copyWorkingTree(app)
    assert.ok(!existsSync(join(app, 'node_modules')) && !existsSync(join(app, 'build')))
    const install = await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], app)
    t.diagnostic(`copied ${copied} files; npm ci --omit=dev: ${seconds(install.ms)} (compiles better-sqlite3)`)

    // Every package the lockfile marks dev-only (the devDependencies and what only they need). A
    // devDependency a production package also asks for (@types/node, a peer of stripe) is
    // "devOptional" there, not dev-only, and rightly installed.
    const devOnly = Object.entries(lockfile.packages)
      .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
      .map(([path]) => path)
    assert.ok(devOnly.some((path) => path === 'node_modules/typescript'), 'the lockfile marks dev-only packages')
    const present = devOnly.filter((path) => existsSync(join(app, path)))
    assert.deepEqual(present, [], 'dev dependencies in a production install')
    assert.ok(!existsSync(join(app, 'node_modules', 'rollup')) && !existsSync(join(app, 'node_modules', 'tsx')), 'no build tool in a production install')
    assert.ok(existsSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')), 'better-sqlite3 was not built')

    const doctor = await run('npm', ['run', 'doctor', '--', '--help'], app)
    assert.match(doctor.stdout, /Usage/, 'npm run doctor runs from the committed build')

    const dataDir = join(work, 'data')
    await t.test('live, with NODE_ENV=production', async () => {
      const collector = await startCollector(app, {
        NODE_ENV: 'production',
        CLICKRELAY_DB: join(dataDir, 'live.db'),
        CLICKRELAY_PIXEL_CODE: 'CTESTPIXEL1234567890',
        CLICKRELAY_ACCESS_TOKEN: 'test-access-token',
        CLICKRELAY_ORDER_SECRET: 'test-order-secret-0123456789',
        // Nothing listens there; no event is sent in this test.
        CLICKRELAY_EVENTS_API_URL: 'http://127.0.0.1:9/',
      })
      try {
        const health = await fetch(collector.url + '/healthz')
        assert.equal(health.status, 200)
        assert.equal(((await health.json()) as { status: string }).status, 'ok')
        const script = await fetch(collector.url + '/cr.js')
        assert.equal(script.status, 200)
        assert.equal(await script.text(), readFileSync(join(app, 'dist', 'cr.js'), 'utf8'))
        assert.equal((await fetch(collector.url + '/demo/')).status, 404, 'a live collector serves no demo store')
        assert.doesNotMatch(collector.output(), /rebuilding the collector|building dist/, 'a production install must not compile')
      } finally {
        await collector.stop()
      }
      assert.ok(existsSync(join(dataDir, 'live.db')), 'the database was not created')
    })

    await t.test('sandbox, said explicitly: the demo store and the stand-in pixel (collector/public) are found', async () => {
      const collector = await startCollector(app, { CLICKRELAY_MODE: 'sandbox', CLICKRELAY_DB: join(dataDir, 'sandbox.db') })
      try {
        assert.equal((await fetch(collector.url + '/demo/')).status, 200)
        const pixel = await fetch(collector.url + '/sandbox/pixel/events.js')
        assert.equal(pixel.status, 200)
        assert.equal(await pixel.text(), readFileSync(join(app, 'collector', 'public', 'sandbox-pixel.js'), 'utf8'))
      } finally {
        await collector.stop()
      }
    })
  })
})
