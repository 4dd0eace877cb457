// What both demos print and run: numbered steps with the time since start, tools from .tools/bin, masked tokens.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { toolPath } from '../harness/tools.js';

const run = promisify(execFile);
const started = Date.now();

export function elapsedSeconds(): number {
  return Math.round((Date.now() - started) / 1000);
}

export function step(text: string): void {
  console.log(`\n\x1b[1m==> ${text}\x1b[0m  (+${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

export async function tool(name: string, args: string[], stdin?: string): Promise<string> {
  const child = run(toolPath(name), args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  return (await child).stdout;
}

export function masked(password: string): string {
  return `${password.slice(0, 6)}…(${password.length} chars)`;
}

export function indented(text: string): string {
  return text.trimEnd().replace(/^/gm, '    ');
}
