// Whether a testbed start failed because a port it picked was bound by someone else first.
export const PORT_CLASH_ATTEMPTS = 3;

// Node's own errors carry the code; the Go binaries, moto and the Pub/Sub emulator reach us as the
// tail of their log inside the start error's message.
const CLASH = /EADDRINUSE|address already in use|Address already in use|BindException/;

export function isPortClash(err: unknown): boolean {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') return true;
  return err instanceof Error && CLASH.test(err.message);
}
