export default async function globalTeardown(): Promise<void> {
  await globalThis.__SECRETSYNC_TESTBED__?.stop();
}
