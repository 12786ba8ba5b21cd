// The kubeconfig the tests get through KUBECONFIG loads, and the testbed's apiserver answers.
import { checkReachable, describeCluster, loadKubeConfig } from '../../../src/kube/client';

test('loadKubeConfig() follows KUBECONFIG and checkReachable() reports the server version', async () => {
  const kc = loadKubeConfig();
  expect(kc).toBeDefined();
  expect(describeCluster(kc!)).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const { server, version } = await checkReachable(kc!);
  expect(server).toBe(describeCluster(kc!));
  expect(version).toMatch(/^v\d+\.\d+\.\d+/); // a source build says v0.0.0-master
});
