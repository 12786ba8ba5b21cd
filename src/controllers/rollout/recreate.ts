// A Job's pod template cannot be changed, so a Job "restarts" as Reloader restarts it: it is
// deleted (its pods with it) and created again from the same spec. The new Job carries the
// consumed-content hash on its metadata, so the recreated Job is not recreated again for the same
// content. The delete is conditional on the uid and resourceVersion the decision was made on (two
// controllers, or a stale cache, never recreate it twice); the new object is built before the
// delete, and kept until it is created (create-after-delete may race the old object's removal).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ROLLOUT_ANNOTATION } from '../../api/constants';
import { isApiError, kubeRequest } from '../../kube/request';
import { resourcePath } from '../../kube/resources';
import type { PatchContent } from './patch';
import type { LeanWorkload } from './project';

/** Labels and fields the Job controller sets on a Job: a new Job gets its own. */
const GENERATED_LABELS = [
  'controller-uid',
  'job-name',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-name',
];

type JobLike = KubernetesObject & {
  spec?: {
    selector?: unknown;
    manualSelector?: boolean;
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  };
  status?: unknown;
};

/** The Job to create in place of `job`: same spec, a fresh identity, the new hash recorded. */
export function recreatedJob(job: JobLike, p: PatchContent): JobLike {
  const m = job.metadata ?? {};
  const spec = structuredClone(job.spec ?? {});
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  if (!spec.manualSelector) {
    delete spec.selector;
    if (meta.labels) for (const l of GENERATED_LABELS) delete meta.labels[l];
  }
  meta.annotations = {
    ...meta.annotations,
    ...(p.restartedAt !== undefined ? { [ROLLOUT_ANNOTATION.restartedAt]: p.restartedAt } : {}),
    [ROLLOUT_ANNOTATION.templateHash]: p.hash,
  };
  const labels = { ...m.labels };
  for (const l of GENERATED_LABELS) delete labels[l];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      labels,
      annotations: {
        ...m.annotations,
        [ROLLOUT_ANNOTATION.lastHash]: p.hash,
        [ROLLOUT_ANNOTATION.lastObjects]: p.objects,
      },
      ...(m.ownerReferences ? { ownerReferences: m.ownerReferences } : {}),
    },
    spec,
  };
}

/**
 * Deletes the Job (only the version decided on: 409 otherwise) and returns the Job to create in
 * its place. Throws KubeApiError as patchWorkload does.
 */
export async function deleteForRecreate(kc: KubeConfig, w: LeanWorkload, p: PatchContent): Promise<JobLike> {
  const path = resourcePath('Job', { namespace: w.namespace, name: w.name });
  const job = await kubeRequest<JobLike>(kc, { path, timeoutMs: 30_000 });
  const body = recreatedJob(job, p);
  await kubeRequest(kc, {
    method: 'DELETE',
    path,
    body: {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      preconditions: { uid: w.uid, resourceVersion: w.resourceVersion },
    },
    timeoutMs: 30_000,
  });
  return body;
}

/** Creates the new Job; false when the old one is still being removed (try again shortly). */
export async function createRecreated(kc: KubeConfig, job: JobLike): Promise<boolean> {
  try {
    await kubeRequest(kc, {
      method: 'POST',
      path: resourcePath('Job', { namespace: job.metadata?.namespace }),
      body: job,
      timeoutMs: 30_000,
    });
    return true;
  } catch (err) {
    if (isApiError(err, 409)) return false;
    throw err;
  }
}
