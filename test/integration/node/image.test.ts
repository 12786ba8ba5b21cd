// The controller's image, built from the repository's Dockerfile (buildah, a locally made base:
// dev/testbed/image.ts), runs on the node under deploy/'s pod and container securityContext: as
// 65532, with a read-only root filesystem, no capabilities and the RuntimeDefault seccomp profile.
import type * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { eventually } from '../../support/eventually';
import { clients, createNamespace, deleteNamespace } from '../../support/kube';
import {
  CONTROLLER_IMAGE_TIMEOUT_MS,
  NODE_START_TIMEOUT_MS,
  useControllerImage,
  useNode,
} from '../../support/node';
import { repoRoot } from '../../../dev/testbed/paths';
import type { ControllerImage } from '../../../dev/testbed/image';
import { NODE_TOLERATION } from '../../../dev/testbed/node';

const { core } = clients();
let image: ControllerImage;
let ns: string;

beforeAll(async () => {
  await useNode();
  image = await useControllerImage();
  ns = await createNamespace('image');
  await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), {
    timeoutMs: 30_000,
    what: 'default ServiceAccount',
  });
}, NODE_START_TIMEOUT_MS + CONTROLLER_IMAGE_TIMEOUT_MS);
afterAll(() => deleteNamespace(ns));

/** deploy/deployment.yaml's pod template, as users install it. */
function deployedPodSpec(): k8s.V1PodSpec {
  const docs = parseAllDocuments(readFileSync(join(repoRoot, 'deploy', 'deployment.yaml'), 'utf8')).map(
    (d) => d.toJS() as { kind?: string; spec?: { template?: { spec?: k8s.V1PodSpec } } },
  );
  const spec = docs.find((d) => d.kind === 'Deployment')?.spec?.template?.spec;
  if (!spec) throw new Error('deploy/deployment.yaml has no Deployment');
  return spec;
}

test("the image runs `secretsync version` as 65532 on a read-only root under deploy/'s securityContext", async () => {
  const deployed = deployedPodSpec();
  const controller = deployed.containers[0]!;
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'version' },
      spec: {
        securityContext: deployed.securityContext,
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'controller',
            image: image.ref,
            imagePullPolicy: 'Never',
            args: ['version'],
            securityContext: controller.securityContext,
            resources: controller.resources,
          },
          {
            // What the container is under those settings, seen from inside (the image has a shell).
            name: 'inside',
            image: image.ref,
            imagePullPolicy: 'Never',
            command: [
              '/bin/sh',
              '-c',
              'id -u; id -g; touch /app/probe 2>/dev/null && echo writable || echo read-only',
            ],
            securityContext: controller.securityContext,
            resources: controller.resources,
          },
        ],
        tolerations: [NODE_TOLERATION],
      },
    },
  });
  expect(deployed.securityContext).toMatchObject({ runAsUser: 65532, runAsNonRoot: true });
  expect(controller.securityContext).toMatchObject({ readOnlyRootFilesystem: true });

  // The image is local; Node starts and prints the version in well under a second, so the pod
  // ends as soon as the kubelet has run it.
  const pod = await eventually(
    async () => {
      const p = await core.readNamespacedPod({ name: 'version', namespace: ns });
      const phase = p.status?.phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') throw new Error(`pod is ${phase}`);
      return p;
    },
    { timeoutMs: 60_000, what: 'pod finished' },
  );
  const log = (container: string) => core.readNamespacedPodLog({ name: 'version', namespace: ns, container });
  expect({ phase: pod.status?.phase, version: await log('controller'), inside: await log('inside') }).toEqual(
    {
      phase: 'Succeeded',
      version: `${(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`,
      inside: '65532\n65532\nread-only\n',
    },
  );
});
