// The development entry point (`npm start`): the product CLI plus `start`, which runs the
// controller against the configured cluster or, with none, starts the local testbed and a demo.
// It lives outside src/ because the demo brings the testbed, which the image does not ship.
import { buildCli, controllerOptions, runCli, runFromFlags } from '../../src/main';
import type { RawFlags } from '../../src/config';
import { loadKubeConfig } from '../../src/kube/client';
import { runDemo } from './index';

const program = buildCli();
controllerOptions(
  program
    .command('start')
    .description(
      'run the controller against the configured cluster; with none, start a local testbed and a demo',
    ),
).action(async (flags: RawFlags) => {
  if (loadKubeConfig({ kubeconfig: flags.kubeconfig })) return runFromFlags(flags);
  await runDemo();
});

// eslint-disable-next-line @typescript-eslint/no-floating-promises -- runCli catches every failure itself (prints it, exits)
void runCli(process.argv, program);
