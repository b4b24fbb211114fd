// What every browser script of Margin's tests needs: its settings from the environment
// (set by the Rust test that runs it), Debian's chromium, and how it reports.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

// A variable the Rust test must have set.
export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

// Where the script leaves its screenshots (made if missing).
export const artifactsDir = () => {
  const dir = env('MARGIN_ARTIFACTS');
  mkdirSync(dir, { recursive: true });
  return dir;
};

export const step = (what) => console.log(`- ${what}`);
export const fail = (what) => { throw new Error(what); };

// Debian's chromium (or MARGIN_CHROMIUM), headless, without any of its own traffic.
export const launch = () => chromium.launch({
  executablePath: process.env.MARGIN_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
