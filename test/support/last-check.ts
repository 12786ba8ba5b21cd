// When the controller last checked an ExternalSecret's sources (its metric, in ms): refreshes that
// change nothing no longer move status.refreshTime, so tests that wait for refreshes read this.
export async function lastCheckMs(
  metricsPort: number,
  ns: string,
  name: string,
): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('secretsync_externalsecret_last_check_timestamp_seconds{') &&
        l.includes(`externalsecret_namespace="${ns}"`) &&
        l.includes(`externalsecret="${name}"`),
    );
  return line ? Number(line.split(' ').at(-1)) * 1000 : undefined;
}
