// Runs moe-oracle's gpujs backend in a real browser: bundles bench/gpujs/page.ts with esbuild
// (gpu.js's browser build and moe-oracle's sources, one IIFE script), serves it with the golden files
// from 127.0.0.1 on a free port, and drives Debian's Chromium through playwright-core (never a
// downloaded browser), headless, on SwiftShader (a CPU implementation of WebGL and WebGPU), with a
// fresh profile. `withPage(fn)` hands `fn` the page; everything is torn down afterwards.
import { build, type Plugin } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { chromium, type Page } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..');

/** The Chromium the harness drives: $CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Chromium's flags: headless on SwiftShader, WebGPU on, nothing that reaches the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

/**
 * The library reads files only in Node-only places (the CLI, suite generation, the package version);
 * in the page, `node:` modules are empty stand-ins, and `createRequire(...)(package.json)` gives the
 * version.
 */
const nodeStandIns: Plugin = {
  name: 'node-stand-ins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stand-in' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stand-in' }, (args) => {
      if (args.path !== 'node:module') return { contents: 'module.exports = {};', loader: 'js' };
      const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
      return { contents: `export const createRequire = () => () => ({ version: ${JSON.stringify(version)} });`, loader: 'js' };
    });
  },
};

/** Bundles the page script (a few hundred ms). */
export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(root, 'bench', 'gpujs', 'page.ts')],
    bundle: true, format: 'iife', platform: 'browser', target: 'chrome120', write: false, logLevel: 'error',
    plugins: [nodeStandIns],
  });
  return result.outputFiles[0].text;
}

/** Serves the page, its script and golden/ from 127.0.0.1 on a free port. */
async function serve(script: string) {
  const goldenDir = join(root, 'golden');
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    let body: string | Buffer;
    let type = 'text/html';
    if (path === '/') body = '<!doctype html><meta charset="utf-8"><title>moe-oracle gpujs</title><script src="/page.js"></script>';
    else if (path === '/page.js') [body, type] = [script, 'text/javascript'];
    else {
      const file = normalize(join(goldenDir, path.replace(/^\/golden\//, '')));
      if (!path.startsWith('/golden/') || !file.startsWith(goldenDir + sep)) return void response.writeHead(404).end();
      try {
        body = readFileSync(file);
      } catch {
        return void response.writeHead(404).end();
      }
      type = 'application/octet-stream';
    }
    response.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Runs `fn` on a fresh page of the harness; closes the browser and the server afterwards. */
export async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  const script = await bundlePage();
  const { server, url } = await serve(script);
  const profile = mkdtempSync(join(tmpdir(), 'moe-oracle-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.goto(url);
      await page.waitForFunction(() => 'moeOracleGpujs' in globalThis);
      return await fn(page);
    } finally {
      await context.close();
    }
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
