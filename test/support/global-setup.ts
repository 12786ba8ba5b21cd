// Starts the shared testbed once per jest run and exports its environment to the test workers.
import { startTestbed, type Testbed } from '../../dev/testbed';

declare global {
  var __SECRETSYNC_TESTBED__: Testbed | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  // Audit log of writes by the ServiceAccounts of AUDITED_NAMESPACE only (test/support/audited.ts).
  const tb = await startTestbed({
    progress: (l) => process.stderr.write(`${l}\n`),
    audit: 'audited-accounts',
  });
  globalThis.__SECRETSYNC_TESTBED__ = tb;
  Object.assign(process.env, tb.env);
  process.stderr.write(`\ntestbed ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${tb.root})\n`);
}
