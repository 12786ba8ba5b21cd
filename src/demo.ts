// `npm start` with no cluster configured: start the local testbed (control plane + Secret Manager
// emulator), install the CRDs, and show the story on the terminal. Filled in by the [ship] issue.
export async function runDemo(): Promise<void> {
  throw new Error(
    'no cluster configured (set KUBECONFIG or run in a cluster); the local demo is not built yet',
  );
}
