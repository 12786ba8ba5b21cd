// The one write the rollout side makes to a workload: a JSON merge patch that records the
// consumed-content hash on the workload's metadata and — for a restart — stamps the pod template,
// in the same request, so "restarted" and "recorded" can never disagree. The patch carries the
// resourceVersion the decision was made on: if the workload changed meanwhile (another replica, or
// our own previous patch not yet seen by the informer) the apiserver answers 409 and the decision
// is made again on fresh state, so one change never becomes two rollouts.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { ROLLOUT_ANNOTATION } from '../../api/constants';
import { isApiError, kubeRequest } from '../../kube/request';
import { apiVersionOf, resourcePath } from '../../kube/resources';
import { atPodTemplate } from './kinds';
import type { LeanWorkload } from './project';

export interface PatchContent {
  hash: string;
  objects: string;
  /** Set for a restart: the pod-template timestamp. Absent: record only (no rollout). */
  restartedAt?: string;
  /**
   * How the restart is made (default `template`): `restartAt` sets spec.restartAt (Argo Rollouts),
   * `evict` records the request on the workload's metadata and its pods are evicted (evict.ts);
   * neither touches the pod template.
   */
  via?: 'template' | 'restartAt' | 'evict';
}

/** spec.restartAt is a metav1.Time: RFC 3339 in whole seconds. */
export const wholeSeconds = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

export function patchBody(w: Pick<LeanWorkload, 'kind' | 'resourceVersion'>, p: PatchContent): object {
  const body: Record<string, unknown> = {
    metadata: {
      resourceVersion: w.resourceVersion,
      annotations: { [ROLLOUT_ANNOTATION.lastHash]: p.hash, [ROLLOUT_ANNOTATION.lastObjects]: p.objects },
    },
  };
  if (p.restartedAt !== undefined && p.via === 'restartAt') {
    body.spec = { restartAt: wholeSeconds(p.restartedAt) };
  } else if (p.restartedAt !== undefined && p.via === 'evict') {
    (body.metadata as { annotations: Record<string, string> }).annotations[
      ROLLOUT_ANNOTATION.restartRequestedAt
    ] = p.restartedAt;
  } else if (p.restartedAt !== undefined) {
    Object.assign(
      body,
      atPodTemplate(w.kind, {
        metadata: {
          annotations: {
            [ROLLOUT_ANNOTATION.restartedAt]: p.restartedAt,
            [ROLLOUT_ANNOTATION.templateHash]: p.hash,
          },
        },
      }),
    );
  }
  return body;
}

export function workloadPath(w: Pick<LeanWorkload, 'kind' | 'namespace' | 'name'>): string {
  return resourcePath(w.kind, { namespace: w.namespace, name: w.name });
}

/** Sends the patch; throws KubeApiError (409 conflict, 403 forbidden, 404 gone, …). */
export async function patchWorkload(kc: KubeConfig, w: LeanWorkload, p: PatchContent): Promise<void> {
  await kubeRequest(kc, {
    method: 'PATCH',
    path: workloadPath(w),
    body: patchBody(w, p),
    contentType: 'application/merge-patch+json',
    timeoutMs: 30_000,
  });
}

/** The workload as an Event's involvedObject. */
export function eventTarget(w: LeanWorkload): KubernetesObject {
  return {
    apiVersion: apiVersionOf(w.kind),
    kind: w.kind,
    metadata: { name: w.name, namespace: w.namespace, uid: w.uid, resourceVersion: w.resourceVersion },
  };
}

/**
 * What a failed patch means: conflict → decide again on fresh state (soon); gone → nothing to do;
 * forbidden → report once, try again much later (never a hot loop); invalid → report, stop until
 * the workload changes; anything else → retry with backoff.
 */
export type PatchFailure = 'conflict' | 'gone' | 'forbidden' | 'invalid' | 'transient';

export function classifyPatchError(err: unknown): PatchFailure {
  if (isApiError(err, 409)) return 'conflict';
  if (isApiError(err, 404)) return 'gone';
  if (isApiError(err, 403) || isApiError(err, 401)) return 'forbidden';
  if (isApiError(err, 422) || isApiError(err, 400)) return 'invalid';
  return 'transient';
}
