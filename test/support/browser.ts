import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { BrowserNetwork } from './browser-network.js';

/** Debian's chromium (`apt-get install chromium`); Playwright cannot download browsers here. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep a headless chromium quiet and off the network (../shared/PLATFORM-NOTES.md). */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** Where screenshots go (gitignored; CI keeps them as artifacts). */
export const ARTIFACTS = join(new URL('../..', import.meta.url).pathname, 'test-artifacts', 'portal');

/** A fresh browser profile, and what went wrong in its pages (uncaught errors, CSP violations, console errors). */
export interface TestBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: string[];
  /** Saves test-artifacts/portal/NAME.png: the whole page, or only the viewport (dialogs). */
  screenshot(name: string, options?: { fullPage?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  readonly width?: number;
  readonly height?: number;
  /** Run chromium in this network namespace. */
  readonly network?: BrowserNetwork;
  /**
   * An http origin other than localhost to treat as secure, as 127.0.0.1 is: the server as the
   * browser in `network` reaches it. (Otherwise Chrome ignores the portal's Cross-Origin-Opener-Policy
   * with a console error, and APIs for secure contexts only, like the clipboard, are missing.)
   */
  readonly secureOrigin?: string;
  /** Public-key pins (base64 SHA-256 of the SPKI) of HTTPS servers to trust, as a CA the machine trusts would be. */
  readonly spkiPins?: readonly string[];
}

/** Starts chromium with a fresh --user-data-dir and one page. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run installs it)`);
  const profile = mkdtempSync(join(tmpdir(), 'carina-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: options.network?.launcher ?? CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      ...(options.secureOrigin ? [`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigin}`] : []),
      ...(options.spkiPins?.length ? [`--ignore-certificate-errors-spki-list=${options.spkiPins.join(',')}`] : []),
    ],
    acceptDownloads: true,
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
    timeout: 30_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chrome logs every 4xx answer (401 before signing in, 404 from a server without /usage): expected.
    if (/the server responded with a status of 4\d\d/.test(m.text())) return;
    // A request Chrome dropped because the machine's network changed is the machine's doing, not the
    // portal's; the portal retries reads (web/src/api.ts), and a failed step would fail its own test.
    if (/net::ERR_NETWORK_CHANGED/.test(m.text())) {
      console.log(`browser: ${m.text()} (the machine's network changed)`);
      return;
    }
    problems.push(`console: ${m.text()}`);
  });
  // Runs in the page (the test code has no DOM types): report CSP violations as console errors.
  await context.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  return {
    context,
    page,
    problems,
    async screenshot(name, options = {}) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: options.fullPage ?? true });
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
